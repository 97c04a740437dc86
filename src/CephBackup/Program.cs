using CephBackup.Cli;

return await new CliHost(Console.Out, Console.Error).RunAsync(args);
