using CephBackup.Core.Jobs;

namespace CephBackup.Core.Nbd;

/// <summary>When a mounted chain's files are compared with their recorded sha256.</summary>
public enum VerifyMode
{
    /// <summary>Every file is read and checked before the export is offered (the default: nothing unchecked is ever served).</summary>
    First,
    /// <summary>The export is offered at once and the files are checked meanwhile; from a mismatch on, every read fails with EIO.</summary>
    Background,
}

/// <param name="Unverified">Files served without a recorded checksum (only with --force-unverified).</param>
public sealed record ChainCheck(IReadOnlyList<string> Unverified, string? Problem);

/// <summary>Checks the stored files of a <see cref="ChainImage"/> exactly as restore does (size, then sha256).</summary>
public static class ChainVerifier
{
    /// <summary>
    /// Checks every file in chain order and marks the image corrupt at the first mismatch, so readers
    /// stop at once, whichever mode started the check.
    /// </summary>
    public static async Task<ChainCheck> CheckAsync(ChainImage image, Action<int, long>? onBytes, CancellationToken ct)
    {
        var unverified = new List<string>();
        for (var i = 0; i < image.Plan.Files.Count; i++)
        {
            var index = i;
            // The stored file is what the recorded sha256 covers (compressed points included).
            var f = image.Plan.Files[i] with { Path = image.StoredPaths[i] };
            var check = await RestoreService.CheckFileAsync(f, b => onBytes?.Invoke(index, b), ct);
            if (check.Problem is not null)
            {
                var problem = $"restore point {image.Plan.RestorePoint} cannot be served: {check.Problem}";
                image.MarkCorrupt(problem);
                return new ChainCheck(unverified, problem);
            }
            if (!check.Verified) unverified.Add(f.Path);
        }
        return new ChainCheck(unverified, null);
    }
}
