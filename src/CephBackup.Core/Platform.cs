// The tool drives the rbd CLI and POSIX file semantics (fsync of folders, rename, chattr): Linux only.
[assembly: System.Runtime.Versioning.SupportedOSPlatform("linux")]
