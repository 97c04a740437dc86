namespace CephBackup.Core.Jobs;

/// <summary>
/// The export slots of one job run: at most <c>parallel</c> exports at once, handed out first come, first served.
/// With <c>ordered</c> (Parallelism 1), VM <c>i</c> joins the queue only after VM <c>i - 1</c> did or ended, so the
/// next VM can plan and snapshot while the previous one exports and still export, and be recorded, after it:
/// a sequential run stays sequential. At higher widths VMs are independent, and a VM whose hooks are slow
/// must not hold the slots back from the VMs behind it.
/// </summary>
internal sealed class ExportSlots : IDisposable
{
    private readonly SemaphoreSlim _slots;
    private readonly TaskCompletionSource[]? _joined;

    public ExportSlots(int parallel, int vmCount, bool ordered)
    {
        _slots = new SemaphoreSlim(parallel);
        if (ordered)
            _joined = Enumerable.Range(0, vmCount).Select(_ => new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously)).ToArray();
    }

    /// <summary>
    /// Joins the queue with one request per export of VM <paramref name="vm"/>, in order; each returned task
    /// completes when that export holds a slot, which it must give back with <see cref="Release"/>.
    /// </summary>
    public async Task<Task[]> JoinAsync(int vm, int exports)
    {
        if (_joined is not null && vm > 0) await _joined[vm - 1].Task;
        // WaitAsync queues its caller at the call, and SemaphoreSlim serves async waiters in that order.
        var waits = Enumerable.Range(0, exports).Select(_ => _slots.WaitAsync(CancellationToken.None)).ToArray();
        Ended(vm);
        return waits;
    }

    /// <summary>VM <paramref name="vm"/> will not join (any more): the next one may. Every VM calls it when it ends.</summary>
    public void Ended(int vm) => _joined?[vm].TrySetResult();

    public void Release() => _slots.Release();

    public void Dispose() => _slots.Dispose();
}
