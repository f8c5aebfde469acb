// SPDX-License-Identifier: MIT
// Managed side. A small POSIX-style argument parser: one command, positionals, --name VALUE / --name=VALUE options.
namespace LinuxShim.Tools;

public sealed class UsageException(string message) : Exception(message);

public sealed class CommandLine
{
    private static readonly HashSet<string> Flags = ["help", "version", "quiet", "strict", "verbose", "no-cache", "exit-after-probe", "up", "in-process", "sandbox", "no-standby"];
    private static readonly HashSet<string> Valued = ["linux", "build", "kernel", "json", "jobs", "cache", "shard", "html", "markdown", "out", "layout", "memory", "netif", "tap", "wire", "pcap", "mac", "runtime-dir", "interface", "socket", "seconds", "supervisor", "audit", "watchdog-ms", "port", "mode", "rate", "crashes", "restart-budget", "device-timeout-ms", "stop-timeout-ms", "minutes", "device", "old-build", "new-build", "faults", "kinds", "seed", "observe-ms", "parallel", "recovery-s"];
    private static readonly HashSet<string> Repeated = ["param", "fake-pci", "vfio-user", "compare"];

    private readonly Dictionary<string, string> _options = new(StringComparer.Ordinal);
    private readonly Dictionary<string, List<string>> _lists = new(StringComparer.Ordinal);

    public string? Command { get; private set; }
    public List<string> Positionals { get; } = [];

    public static CommandLine Parse(string[] args)
    {
        var cl = new CommandLine();
        for (int i = 0; i < args.Length; i++)
        {
            string a = args[i];
            if (a == "-h")
                a = "--help";
            if (a.StartsWith("--", StringComparison.Ordinal) && a.Length > 2)
            {
                string name = a[2..], value = "";
                int eq = name.IndexOf('=');
                if (eq >= 0)
                {
                    value = name[(eq + 1)..];
                    name = name[..eq];
                }
                if (Flags.Contains(name))
                {
                    if (eq >= 0)
                        throw new UsageException($"--{name} takes no value");
                }
                else if (Valued.Contains(name) || Repeated.Contains(name))
                {
                    if (eq < 0)
                    {
                        if (i + 1 >= args.Length)
                            throw new UsageException($"--{name} needs a value");
                        value = args[++i];
                    }
                    if (value.Length == 0)
                        throw new UsageException($"--{name} needs a non-empty value");
                }
                else
                {
                    throw new UsageException($"unknown option '--{name}'");
                }
                if (Repeated.Contains(name))
                {
                    if (!cl._lists.TryGetValue(name, out var list))
                        cl._lists[name] = list = [];
                    list.Add(value);
                    continue;
                }
                if (cl._options.ContainsKey(name))
                    throw new UsageException($"--{name} given twice");
                cl._options[name] = value;
            }
            else if (a.StartsWith('-') && a.Length > 1)
            {
                throw new UsageException($"unknown option '{a}'");
            }
            else if (cl.Command is null)
            {
                cl.Command = a;
            }
            else
            {
                cl.Positionals.Add(a);
            }
        }
        if (cl.Command is null && cl.Has("version"))
            cl.Command = "version";
        return cl;
    }

    public bool Has(string name) => _options.ContainsKey(name) || _lists.ContainsKey(name);

    /// <summary>Every value of an option that may be repeated.</summary>
    public IReadOnlyList<string> All(string name) => _lists.TryGetValue(name, out var l) ? l : [];

    public string? Get(string name) => _options.GetValueOrDefault(name);

    public int GetInt(string name, int fallback)
    {
        if (Get(name) is not { } v)
            return fallback;
        if (!int.TryParse(v, out int n) || n < 1)
            throw new UsageException($"--{name} must be a positive integer, not '{v}'");
        return n;
    }

    /// <summary>The single positional argument a command takes.</summary>
    public string Single(string what)
    {
        if (Positionals.Count == 0)
            throw new UsageException($"{Command} needs {what}");
        if (Positionals.Count > 1)
            throw new UsageException($"{Command} takes one {what}, got {Positionals.Count}: {string.Join(' ', Positionals)}");
        return Positionals[0];
    }
}
