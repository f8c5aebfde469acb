// SPDX-License-Identifier: MIT
// Managed side, the fault injector. Code faults in a running driver host, the classic
// software-implemented fault injection kinds (as in Nooks' and MINIX 3's campaigns): flip a bit of an
// instruction, invert a conditional branch, corrupt an instruction's source or destination register,
// skip an instruction. Targets are the instructions of the driver's functions on its receive,
// transmit, interrupt and timer paths, found by disassembling the driver library once (objdump).
// The mechanism: the host's copy of the text is written through /proc/PID/mem, which, like a
// debugger's PTRACE_POKETEXT, writes read-only pages (the kernel breaks copy-on-write for the writer):
// the host needs no writable text, no new system call and no code for it; only a process allowed to
// ptrace the host (its supervisor, root here) can do it. The original bytes are written back when the
// host survives the observation, so each fault is judged on its own.
using System.Diagnostics;
using System.Globalization;
using System.Text.RegularExpressions;

namespace LinuxShim.Tools.Inject;

public sealed partial class CodeFaults
{
    /// <summary>One instruction of the driver: its library address, bytes, mnemonic and function.</summary>
    public sealed record Instruction(ulong Address, byte[] Bytes, string Mnemonic, string Function, ulong FunctionStart);

    /// <summary>A fault written into a host: where, what was there, what is there now.</summary>
    public sealed record Patch(int Pid, ulong Address, byte[] Original, byte[] Faulty, string Function, string Description);

    public static readonly IReadOnlyList<string> Kinds = ["bitflip", "branch", "register", "skip"];

    private readonly string library;
    private readonly List<Instruction> all;
    private readonly List<Instruction> branches;
    private readonly List<Instruction> registerForms;

    private CodeFaults(string library, List<Instruction> instructions)
    {
        this.library = library;
        all = instructions;
        branches = [.. all.Where(i => ConditionalBranch(i.Bytes) >= 0)];
        registerForms = [.. all.Where(i => ModRm(i.Bytes) is var (at, _) && at >= 0 && i.Bytes[at] >> 6 == 3)];
    }

    /// <summary>The functions faults go into: those on the receive, transmit, interrupt and timer paths.</summary>
    public IReadOnlyList<string> Functions => [.. all.Select(i => i.Function).Distinct()];

    public int InstructionCount => all.Count;

    // Driver functions by their role in the name: rtl8139_rx, rtl8139_start_xmit, rtl8139_interrupt,
    // e1000_clean_rx_irq, e1000_intr, e1000_watchdog, e1000_xmit_frame ...
    [GeneratedRegex(@"(^|_)(rx|tx|xmit|poll|intr|interrupt|irq|clean|timer|watchdog|napi)(_|$)")]
    private static partial Regex HotPath();

    [GeneratedRegex(@"^([0-9a-f]+) <([^>]+)>:$")]
    private static partial Regex FunctionHeader();

    [GeneratedRegex(@"^\s*([0-9a-f]+):\t((?:[0-9a-f]{2} )+)\s*\t(\S+)")]
    private static partial Regex InstructionLine();

    [GeneratedRegex(@"\sF\s+\.text\S*\s+[0-9a-f]+\s+(\S+)$")]
    private static partial Regex FunctionSymbol();

    private static string Objdump(params string[] args)
    {
        var info = new ProcessStartInfo("objdump", args) { RedirectStandardOutput = true, RedirectStandardError = true, UseShellExecute = false };
        try
        {
            using var p = Process.Start(info) ?? throw new IOException("objdump did not start");
            var stderr = p.StandardError.ReadToEndAsync();
            string text = p.StandardOutput.ReadToEnd();
            p.WaitForExit();
            if (p.ExitCode != 0)
                throw new IOException($"objdump {string.Join(' ', args)} failed: {stderr.Result.Trim()}");
            return text;
        }
        catch (System.ComponentModel.Win32Exception e)
        {
            throw new IOException($"code faults need objdump (binutils): {e.Message}");
        }
    }

    /// <summary>
    /// Disassembles <paramref name="library"/> (objdump from binutils) and keeps the hot-path functions of
    /// the driver's own objects (the port build's obj/ beside it; not the shim's glue and runtime).
    /// </summary>
    public static CodeFaults Load(string library)
    {
        string obj = Path.Combine(Path.GetDirectoryName(Path.GetFullPath(library))!, "obj");
        var driverObjects = Directory.Exists(obj)
            ? Directory.GetFiles(obj, "*.o").Where(f => Path.GetFileName(f) is var n && n != "linuxshim_glue.o" && !n.StartsWith("shim_native_", StringComparison.Ordinal)).ToList()
            : [];
        if (driverObjects.Count == 0)
            throw new IOException($"{library}: no driver objects in {obj} (build the port with `linuxshim port build`)");
        var driverFunctions = driverObjects.SelectMany(o => Objdump("-t", o).Split('\n'))
            .Select(l => FunctionSymbol().Match(l)).Where(m => m.Success).Select(m => m.Groups[1].Value).ToHashSet();
        string text = Objdump("-d", "--insn-width=16", library);
        var list = new List<Instruction>();
        string? function = null;
        ulong functionStart = 0;
        foreach (var line in text.Split('\n'))
        {
            if (FunctionHeader().Match(line) is { Success: true } h)
            {
                string name = h.Groups[2].Value;
                function = driverFunctions.Contains(name) && HotPath().IsMatch(name) ? name : null;
                functionStart = ulong.Parse(h.Groups[1].Value, NumberStyles.HexNumber);
                continue;
            }
            if (function is null || InstructionLine().Match(line) is not { Success: true } m)
                continue;
            var bytes = m.Groups[2].Value.Split(' ', StringSplitOptions.RemoveEmptyEntries).Select(b => byte.Parse(b, NumberStyles.HexNumber)).ToArray();
            list.Add(new Instruction(ulong.Parse(m.Groups[1].Value, NumberStyles.HexNumber), bytes, m.Groups[3].Value, function, functionStart));
        }
        if (list.Count == 0)
            throw new IOException($"{library}: no receive, transmit, interrupt or timer functions found to inject code faults into");
        return new CodeFaults(library, list);
    }

    /// <summary>The position of a conditional branch's condition byte (jcc rel8: 0x70-0x7f; jcc rel32: 0x0f 0x80-0x8f), or -1.</summary>
    private static int ConditionalBranch(byte[] b)
    {
        int i = Prefixes(b);
        if (i < b.Length && b[i] is >= 0x70 and <= 0x7f)
            return i;
        if (i + 1 < b.Length && b[i] == 0x0f && b[i + 1] is >= 0x80 and <= 0x8f)
            return i + 1;
        return -1;
    }

    private static int Prefixes(byte[] b)
    {
        int i = 0;
        while (i < b.Length && b[i] is 0x2e or 0x3e or 0x66 or 0xf2 or 0xf3)
            i++;
        return i;
    }

    // Two-operand ALU and mov forms with a ModRM byte: ADD OR AND SUB XOR CMP TEST MOV, both directions.
    // (ModRM position, true when the reg field is the destination), or (-1, false).
    private static (int At, bool RegIsDestination) ModRm(byte[] b)
    {
        int i = Prefixes(b);
        if (i < b.Length && b[i] is >= 0x40 and <= 0x4f)
            i++; // REX
        if (i + 1 >= b.Length)
            return (-1, false);
        return b[i] switch
        {
            0x01 or 0x09 or 0x21 or 0x29 or 0x31 or 0x39 or 0x85 or 0x89 => (i + 1, false),
            0x03 or 0x0b or 0x23 or 0x2b or 0x33 or 0x3b or 0x8b => (i + 1, true),
            _ => (-1, false),
        };
    }

    /// <summary>Chooses a fault of <paramref name="kind"/> (from <paramref name="random"/>): the instruction and its faulty bytes.</summary>
    public (Instruction Target, byte[] Faulty, string Description) Choose(string kind, Random random)
    {
        switch (kind)
        {
            case "bitflip":
            {
                var t = all[random.Next(all.Count)];
                var faulty = (byte[])t.Bytes.Clone();
                int bit = random.Next(faulty.Length * 8);
                faulty[bit / 8] ^= (byte)(1 << (bit % 8));
                return (t, faulty, $"bit {bit} of {t.Mnemonic}");
            }
            case "branch":
            {
                var t = branches[random.Next(branches.Count)];
                var faulty = (byte[])t.Bytes.Clone();
                faulty[ConditionalBranch(faulty)] ^= 1; // the opposite condition
                return (t, faulty, $"{t.Mnemonic} inverted");
            }
            case "register":
            {
                var t = registerForms[random.Next(registerForms.Count)];
                var faulty = (byte[])t.Bytes.Clone();
                var (at, regIsDestination) = ModRm(faulty);
                bool destination = random.Next(2) == 0;
                // The reg field is bits 3-5, the (register) r/m field bits 0-2.
                int shift = destination == regIsDestination ? 3 : 0;
                faulty[at] ^= (byte)(1 << (shift + random.Next(3)));
                return (t, faulty, $"{(destination ? "destination" : "source")} register of {t.Mnemonic}");
            }
            case "skip":
            {
                var t = all[random.Next(all.Count)];
                return (t, Enumerable.Repeat((byte)0x90, t.Bytes.Length).ToArray(), $"{t.Mnemonic} skipped");
            }
            default:
                throw new ArgumentException($"unknown code fault '{kind}'");
        }
    }

    /// <summary>Writes the fault into host <paramref name="pid"/>'s copy of the driver; the patch to undo it.</summary>
    public Patch Apply(int pid, Instruction target, byte[] faulty, string description)
    {
        ulong address = LoadBase(pid) + target.Address;
        var original = Write(pid, address, faulty);
        if (!original.AsSpan().SequenceEqual(target.Bytes))
        {
            Write(pid, address, original);
            throw new IOException($"host {pid}: the driver's text at 0x{address:x} is not what {Path.GetFileName(library)} has there");
        }
        return new Patch(pid, address, original, faulty, target.Function, $"{target.Function}+0x{target.Address - target.FunctionStart:x}: {description}");
    }

    /// <summary>
    /// Writes the original bytes back (the host must still be the one patched); false when the host ended
    /// meanwhile (a failure the supervisor has yet to report), when there is nothing left to undo.
    /// </summary>
    public static bool Undo(Patch patch)
    {
        try
        {
            Write(patch.Pid, patch.Address, patch.Original);
            return true;
        }
        catch (IOException) when (Gone(patch.Pid))
        {
            return false;
        }
    }

    // The process has exited (reaped, or a zombie whose memory is gone).
    private static bool Gone(int pid)
    {
        try
        {
            string stat = File.ReadAllText($"/proc/{pid}/stat");
            int state = stat.LastIndexOf(')') + 2; // "pid (comm) S ...": comm may hold spaces and parentheses
            return state >= stat.Length || stat[state] is 'Z' or 'X';
        }
        catch (IOException)
        {
            return true;
        }
    }

    // Where the library is loaded in the host (the start of its mapping at file offset 0).
    private ulong LoadBase(int pid)
    {
        string full = Path.GetFullPath(library);
        foreach (var line in File.ReadLines($"/proc/{pid}/maps"))
        {
            var f = line.Split(' ', 6, StringSplitOptions.RemoveEmptyEntries);
            if (f.Length == 6 && f[5] == full && ulong.Parse(f[2], NumberStyles.HexNumber) == 0)
                return ulong.Parse(f[0][..f[0].IndexOf('-')], NumberStyles.HexNumber);
        }
        throw new IOException($"host {pid} has no mapping of {full}");
    }

    // Writes through /proc/PID/mem; returns what was there.
    private static byte[] Write(int pid, ulong address, byte[] bytes)
    {
        using var mem = File.OpenHandle($"/proc/{pid}/mem", FileMode.Open, FileAccess.ReadWrite);
        var old = new byte[bytes.Length];
        if (RandomAccess.Read(mem, old, (long)address) != old.Length)
            throw new IOException($"host {pid}: cannot read its text at 0x{address:x}");
        RandomAccess.Write(mem, bytes, (long)address);
        return old;
    }
}
