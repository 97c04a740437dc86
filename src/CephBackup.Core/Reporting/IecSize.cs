using System.Globalization;

namespace CephBackup.Core.Reporting;

/// <summary>
/// Sizes for the console the way rbd prints them ("10 GiB", "1.5 MiB", "512 KiB"): an admin compares our
/// figures with <c>rbd du</c> / <c>rbd info</c>, so they must read alike. Reports and JSON keep exact bytes.
/// </summary>
public static class IecSize
{
    private static readonly string[] Units = [" B", " KiB", " MiB", " GiB", " TiB", " PiB", " EiB"];
    private static readonly string[] Decimals = ["F0", "F1", "F2"];

    public static string Format(long bytes)
    {
        if (bytes < 0) return "-" + Format(bytes == long.MinValue ? long.MaxValue : -bytes);
        var index = 0;
        for (var n = bytes; n >= 1024 && index < Units.Length - 1; n /= 1024) index++;
        var unit = 1L << (10 * index);
        if (index == 0 || bytes % unit == 0) return (bytes / unit).ToString(CultureInfo.InvariantCulture) + Units[index];
        // Like rbd: as many decimals (2, 1, 0) as fit in 7 characters with the unit, e.g. "1.5 GiB", "12 MiB".
        var value = (double)bytes / unit;
        var text = "";
        for (var decimals = 2; decimals >= 0; decimals--)
        {
            text = Math.Round(value, decimals, MidpointRounding.ToEven).ToString(Decimals[decimals], CultureInfo.InvariantCulture) + Units[index];
            if (text.Length <= 7) break;
        }
        return text;
    }
}
