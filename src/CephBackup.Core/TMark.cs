namespace CephBackup.Core;
public static class TMark { public static void M(string s) => Console.Error.WriteLine($"{(DateTime.Now - System.Diagnostics.Process.GetCurrentProcess().StartTime).TotalMilliseconds:F0} {s}"); }
