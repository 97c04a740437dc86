namespace CephBackup.Core.Nbd;

/// <summary>Numbers of the NBD protocol (NetworkBlockDevice/nbd doc/proto.md). Everything on the wire is big-endian.</summary>
internal static class Nbd
{
    public const ulong NbdMagic = 0x4e42444d41474943;      // "NBDMAGIC"
    public const ulong IHaveOpt = 0x49484156454F5054;      // "IHAVEOPT"
    public const ulong OptReplyMagic = 0x3e889045565a9;
    public const uint RequestMagic = 0x25609513;
    public const uint SimpleReplyMagic = 0x67446698;
    public const uint StructuredReplyMagic = 0x668e33ef;

    // Handshake flags (server) and client flags.
    public const ushort FlagFixedNewstyle = 1 << 0;
    public const ushort FlagNoZeroes = 1 << 1;
    public const uint ClientFixedNewstyle = 1 << 0;
    public const uint ClientNoZeroes = 1 << 1;

    // Transmission flags.
    public const ushort HasFlags = 1 << 0;
    public const ushort ReadOnly = 1 << 1;
    public const ushort SendFlush = 1 << 2;
    public const ushort SendDf = 1 << 7;
    public const ushort CanMultiConn = 1 << 8;

    // Options.
    public const uint OptExportName = 1;
    public const uint OptAbort = 2;
    public const uint OptList = 3;
    public const uint OptInfo = 6;
    public const uint OptGo = 7;
    public const uint OptStructuredReply = 8;
    public const uint OptListMetaContext = 9;
    public const uint OptSetMetaContext = 10;

    // Option replies.
    public const uint RepAck = 1;
    public const uint RepServer = 2;
    public const uint RepInfo = 3;
    public const uint RepMetaContext = 4;
    public const uint RepErrUnsup = 0x80000001;
    public const uint RepErrInvalid = 0x80000003;
    public const uint RepErrUnknown = 0x80000006;
    public const uint RepErrTooBig = 0x80000009;

    // NBD_INFO types.
    public const ushort InfoExport = 0;
    public const ushort InfoName = 1;
    public const ushort InfoDescription = 2;
    public const ushort InfoBlockSize = 3;

    // Commands and command flags.
    public const ushort CmdRead = 0;
    public const ushort CmdWrite = 1;
    public const ushort CmdDisc = 2;
    public const ushort CmdFlush = 3;
    public const ushort CmdTrim = 4;
    public const ushort CmdCache = 5;
    public const ushort CmdWriteZeroes = 6;
    public const ushort CmdBlockStatus = 7;
    public const ushort CmdFlagDf = 1 << 2;
    public const ushort CmdFlagReqOne = 1 << 3;

    // Structured reply flags and types.
    public const ushort ReplyFlagDone = 1;
    public const ushort ReplyTypeNone = 0;
    public const ushort ReplyTypeOffsetData = 1;
    public const ushort ReplyTypeOffsetHole = 2;
    public const ushort ReplyTypeBlockStatus = 5;
    public const ushort ReplyTypeError = 0x8001;

    // Errors (errno values fixed by the protocol).
    public const uint EPerm = 1;
    public const uint EIo = 5;
    public const uint EInval = 22;
    public const uint ENotSup = 95;

    // base:allocation status flags.
    public const uint StateHole = 1;
    public const uint StateZero = 2;

    public const string BaseAllocation = "base:allocation";
    /// <summary>The only metadata context id handed out.</summary>
    public const uint AllocationContextId = 1;

    /// <summary>The largest READ accepted (the protocol's default maximum payload); also our NBD_INFO_BLOCK_SIZE maximum.</summary>
    public const int MaxPayload = 32 << 20;
    public const int PreferredBlock = 4096;
    /// <summary>Option payloads larger than this are not read (export names are at most 4096 bytes).</summary>
    public const int MaxOptionLength = 64 * 1024;
}
