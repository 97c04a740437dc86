namespace CephBackup.Commands.Vm;

public enum VmAction { List, Add, Remove }

public sealed record VmArgs
{
    public string? ConfigPath { get; init; }
    public VmAction Action { get; init; }
    public string? Vm { get; init; }
    public IReadOnlyList<string> Images { get; init; } = [];
    public bool NoCheck { get; init; }
    public bool Force { get; init; }
    public bool Json { get; init; }

    // Records compare lists by reference; parser tests compare args by value.
    public bool Equals(VmArgs? o) => o is not null && ConfigPath == o.ConfigPath && Action == o.Action && Vm == o.Vm &&
                                     Images.SequenceEqual(o.Images) && NoCheck == o.NoCheck && Force == o.Force && Json == o.Json;
    public override int GetHashCode() => HashCode.Combine(Action, Vm, Images.Count);
}
