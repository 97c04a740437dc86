namespace CephBackup.Commands.Catalog;

public sealed record CatalogImportArgs
{
    public string? ConfigPath { get; init; }
    public string? Job { get; init; }
}
