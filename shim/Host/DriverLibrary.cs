// SPDX-License-Identifier: MIT
// Managed side. A driver .so built by `linuxshim port build`: loaded with dlopen, its host-ops table
// filled with the managed implementations before any of its code runs. Its glue descriptor (Glue.cs) is
// the one symbol looked up by name; the data objects and entry points the host needs are its fields.
using System.Reflection;
using System.Runtime.InteropServices;
using LinuxShim.Posix;

namespace LinuxShim.Shim.Host;

public sealed unsafe class DriverLibrary
{
    /// <summary>Name of the glue descriptor (struct linuxshim_glue), the one symbol of the library looked up by name.</summary>
    public const string DescriptorSymbol = "linuxshim_glue";

    public string Path { get; }
    public nint Handle { get; }
    public nint Module { get; }
    public IReadOnlyList<string> HostSymbols { get; }
    public IReadOnlyList<string> Stubs { get; }

    /// <summary>The library's glue descriptor: its entry points and the data objects the host sets or hands out.</summary>
    public Glue* Descriptor { get; }

    private DriverLibrary(string path, nint handle, Glue* glue, IReadOnlyList<string> hostSymbols, IReadOnlyList<string> stubs)
    {
        Path = path;
        Handle = handle;
        Descriptor = glue;
        Module = glue->Module;
        HostSymbols = hostSymbols;
        Stubs = stubs;
    }

    /// <summary>
    /// Every managed entry point by symbol name: [KernelSymbol] and [HostOp] methods that are [UnmanagedCallersOnly].
    /// Read once per process (a scan of every type's members and attributes): a supervised host reads it while it
    /// waits for its grant, so that loading the driver after the grant does not wait for it.
    /// </summary>
    public static IReadOnlyDictionary<string, nint> ManagedEntryPoints() => EntryPoints.Value;

    private static readonly Lazy<Dictionary<string, nint>> EntryPoints = new(() =>
        ManagedMethods().ToDictionary(m => m.Key, m => m.Value.MethodHandle.GetFunctionPointer(), StringComparer.Ordinal));

    /// <summary>Every kernel symbol and host operation the managed host implements, with the method that does.</summary>
    public static Dictionary<string, MethodInfo> ManagedMethods()
    {
        var map = new Dictionary<string, MethodInfo>(StringComparer.Ordinal);
        static bool EntryPoint(MethodInfo m) => m.IsStatic && m.GetCustomAttribute<UnmanagedCallersOnlyAttribute>() is not null;
        foreach (var (name, _, member) in ShimSymbols.Marks(typeof(DriverLibrary).Assembly))
            if (member is MethodInfo m && EntryPoint(m))
                map[name] = m;
        foreach (var type in typeof(DriverLibrary).Assembly.GetTypes())
            foreach (var m in type.GetMethods(BindingFlags.Static | BindingFlags.Public | BindingFlags.NonPublic | BindingFlags.DeclaredOnly))
                if (EntryPoint(m) && m.GetCustomAttribute<HostOpAttribute>() is { } op)
                    map[op.Name] = m;
        return map;
    }

    public static DriverLibrary Load(string path)
    {
        path = System.IO.Path.GetFullPath(path);
        if (!File.Exists(path))
            throw new FileNotFoundException($"{path}: no such driver library (build it with `linuxshim port build`)");
        nint handle = Libc.DlOpen(path, Libc.RTLD_NOW | Libc.RTLD_LOCAL);
        if (handle == 0)
            throw new InvalidDataException($"cannot load {path}: {Libc.DlError()}");
        var glue = (Glue*)Libc.DlSym(handle, DescriptorSymbol);
        if (glue == null)
            throw new InvalidDataException($"{path} is not a LinuxShim driver library (no {DescriptorSymbol})");
        if (glue->Version != Glue.CurrentVersion)
            throw new InvalidDataException($"{path} has glue version {glue->Version}, this host speaks {Glue.CurrentVersion}: rebuild the port");

        var managed = ManagedEntryPoints();
        var names = new List<string>();
        var missing = new List<string>();
        for (int i = 0; i < glue->OpCount; i++)
        {
            string name = Marshal.PtrToStringUTF8((nint)glue->OpNames[i])!;
            names.Add(name);
            if (managed.TryGetValue(name, out nint fn))
                glue->Ops[i] = fn;
            else
                missing.Add(name);
        }
        if (missing.Count > 0)
            throw new InvalidDataException($"{path} expects host symbols this host does not have ({string.Join(", ", missing.Take(8))}): rebuild the port");
        var stubs = new List<string>();
        for (int i = 0; i < glue->StubCount; i++)
            stubs.Add(Marshal.PtrToStringUTF8((nint)glue->StubNames[i])!);
        return new DriverLibrary(path, handle, glue, names, stubs);
    }

    /// <summary>"function+0xoffset" for a code address, as far as the dynamic symbol table tells.</summary>
    public static string Describe(nint address)
    {
        if (address == 0)
            return "0x0";
        if (Libc.DlAddr(address, out var info) != 0)
        {
            string file = System.IO.Path.GetFileName(Marshal.PtrToStringUTF8(info.FileName) ?? "?");
            if (info.SymbolName != 0)
                return $"{Marshal.PtrToStringUTF8(info.SymbolName)}+0x{address - info.SymbolAddress:x} ({file})";
            return $"{file}+0x{address - info.FileBase:x}";
        }
        return $"0x{address:x}";
    }
}
