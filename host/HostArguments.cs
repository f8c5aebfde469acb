// SPDX-License-Identifier: MIT
// Managed side. The driver host's arguments: a library, --name VALUE / --name=VALUE options (some repeated)
// and flags. The host parses its own, so that it needs nothing of the command line's assembly.
namespace LinuxShim.Host;

/// <summary>A mistake in the host's arguments: one line, exit status 2.</summary>
public sealed class HostUsageException(string message) : Exception(message);

public sealed class HostArguments
{
    private static readonly HashSet<string> Flags = ["sandbox", "up", "exit-after-probe", "help"];
    private static readonly HashSet<string> Valued = ["supervisor", "netif", "memory", "layout", "device-timeout-ms", "stop-timeout-ms"];
    private static readonly HashSet<string> Repeated = ["vfio-user", "fake-pci", "param"];

    private readonly Dictionary<string, string> options = new(StringComparer.Ordinal);
    private readonly Dictionary<string, List<string>> lists = new(StringComparer.Ordinal);

    public List<string> Positionals { get; } = [];

    public static HostArguments Parse(IReadOnlyList<string> args)
    {
        var parsed = new HostArguments();
        for (int i = 0; i < args.Count; i++)
        {
            string a = args[i] == "-h" ? "--help" : args[i];
            if (!a.StartsWith("--", StringComparison.Ordinal) || a.Length == 2)
            {
                if (a.StartsWith('-') && a.Length > 1)
                    throw new HostUsageException($"unknown option '{a}'");
                parsed.Positionals.Add(a);
                continue;
            }
            var (name, value) = a.IndexOf('=') is var eq and >= 0 ? (a[2..eq], a[(eq + 1)..]) : (a[2..], (string?)null);
            if (Flags.Contains(name))
            {
                if (value is not null)
                    throw new HostUsageException($"--{name} takes no value");
                parsed.options[name] = "";
                continue;
            }
            if (!Valued.Contains(name) && !Repeated.Contains(name))
                throw new HostUsageException($"unknown option '--{name}'");
            value ??= i + 1 < args.Count ? args[++i] : throw new HostUsageException($"--{name} needs a value");
            if (value.Length == 0)
                throw new HostUsageException($"--{name} needs a non-empty value");
            if (Repeated.Contains(name))
            {
                if (!parsed.lists.TryGetValue(name, out var list))
                    parsed.lists[name] = list = [];
                list.Add(value);
            }
            else if (!parsed.options.TryAdd(name, value))
            {
                throw new HostUsageException($"--{name} given twice");
            }
        }
        return parsed;
    }

    public bool Has(string name) => options.ContainsKey(name) || lists.ContainsKey(name);

    public IReadOnlyList<string> All(string name) => lists.TryGetValue(name, out var l) ? l : [];

    public string? Get(string name) => options.GetValueOrDefault(name);

    public int GetInt(string name, int fallback) =>
        Get(name) is not { } v ? fallback
        : int.TryParse(v, out int n) && n >= 1 ? n
        : throw new HostUsageException($"--{name} must be a positive integer, not '{v}'");

    /// <summary>The driver library, the one positional argument.</summary>
    public string Library() => Positionals.Count switch
    {
        0 => throw new HostUsageException("host needs a driver library (from linuxshim port build)"),
        1 => Positionals[0],
        _ => throw new HostUsageException($"host takes one driver library, got {Positionals.Count}: {string.Join(' ', Positionals)}"),
    };
}
