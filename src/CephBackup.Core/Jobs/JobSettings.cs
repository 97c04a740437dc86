using CephBackup.Core.Catalog;
using CephBackup.Core.Ceph;
using CephBackup.Core.Planning;
using CephBackup.Core.Storage;

namespace CephBackup.Core.Jobs;

/// <summary>A job row that passed validation: everything exec needs, with defaults applied.</summary>
public sealed record JobSettings(BackupJob Row, string Name, BackupLayout Layout, string Prefix, BackupMode Mode, int MaxInc)
{
    public int Id => Row.Id;

    /// <summary>How new points are stored (<c>backup_jobs.compression</c>); existing points keep theirs.</summary>
    public IPointCodec Codec { get; init; } = PointCodecs.Plain;

    /// <summary>Validates a job row; a bad value is a configuration error for this job only.</summary>
    public static JobSettings From(BackupJob job)
    {
        if (!Names.IsValid(job.Name))
            throw Config(job, $"invalid job name '{Names.Printable(job.Name)}'");
        var layout = BackupLayout.For(job.Path, job.Name);
        if (job.MaxInc < 0) throw Config(job, $"max_inc = {job.MaxInc} is negative");
        var prefix = SnapshotNames.EffectivePrefix(job);
        SnapshotNames.ValidatePrefix(prefix);
        var mode = job.Mode?.Trim().ToLowerInvariant() switch
        {
            null or "" or "incremental" => BackupMode.Incremental,
            "differential" => BackupMode.Differential,
            _ => throw Config(job, $"mode '{Names.Printable(job.Mode)}' is not incremental or differential"),
        };
        IPointCodec codec;
        try { codec = PointCodecs.ForJob(job.Compression); }
        catch (FormatException e) { throw Config(job, e.Message); }
        return new JobSettings(job, job.Name!, layout, prefix, mode, job.MaxInc) { Codec = codec };
    }

    private static CephBackupException Config(BackupJob job, string message) =>
        new(ExitCode.ConfigError, $"job {job.Id}: {message}");
}

/// <summary>One disk image of a job, with names validated and the Ceph image resolved.</summary>
public sealed record ImageTarget(JobImage Link, string Vm, string ImageName, ImageRef Ref)
{
    public static ImageTarget From(JobImage link, string defaultPool)
    {
        Names.RequireValid(link.Vm, "VM");
        var image = link.Image ?? "";
        return new ImageTarget(link, link.Vm!, image, ImageRef.Parse(image, defaultPool));
    }
}
