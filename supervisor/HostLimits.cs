// SPDX-License-Identifier: MIT
// Managed side. CPU, memory and task limits on the supervisor's driver hosts: a control group of
// their own under the supervisor's (cgroup v2 where its controllers can be enabled, else the v1
// cpu, memory and pids hierarchies), so a driver that spins, leaks or forks cannot take the machine.
// Best effort: where the supervisor may not create groups, it says so (in the audit log) and the
// hosts run with their other limits (fixed DMA memory, managed heap ceiling, descriptor limit,
// watchdog) only.
namespace LinuxShim.Supervisor;

public sealed class HostLimits : IDisposable
{
    private const string Root = "/sys/fs/cgroup";
    private readonly List<string> groups;

    private HostLimits(List<string> groups, string description)
    {
        this.groups = groups;
        Description = description;
    }

    /// <summary>What was applied, e.g. "cgroup v1: cpu 1.0, memory 512 MiB, tasks 256".</summary>
    public string Description { get; }

    /// <summary>The limits, or null with the reason in <paramref name="note"/>.</summary>
    public static HostLimits? Create(string name, double cpus, long memoryBytes, int tasks, out string note)
    {
        string leaf = $"linuxshim-{name}-{Environment.ProcessId}";
        string limits = $"cpu {cpus:F1}, memory {memoryBytes >> 20} MiB, tasks {tasks}";
        try
        {
            if (File.Exists(Path.Combine(Root, "cgroup.controllers")) && Own("") is { } unified)
            {
                string parent = Path.Combine(Root, unified.TrimStart('/'));
                File.AppendAllText(Path.Combine(parent, "cgroup.subtree_control"), "+cpu +memory +pids");
                string group = Path.Combine(parent, leaf);
                Directory.CreateDirectory(group);
                File.WriteAllText(Path.Combine(group, "cpu.max"), $"{(long)(cpus * 100_000)} 100000");
                File.WriteAllText(Path.Combine(group, "memory.max"), memoryBytes.ToString());
                File.WriteAllText(Path.Combine(group, "pids.max"), tasks.ToString());
                note = $"cgroup v2 {group}: {limits}";
                return new HostLimits([group], note);
            }
            var made = new List<string>();
            foreach (var (controller, files) in new (string, (string, string)[])[]
                     {
                         ("cpu", [("cpu.cfs_period_us", "100000"), ("cpu.cfs_quota_us", ((long)(cpus * 100_000)).ToString())]),
                         ("memory", [("memory.limit_in_bytes", memoryBytes.ToString())]),
                         ("pids", [("pids.max", tasks.ToString())]),
                     })
            {
                string hierarchy = Path.Combine(Root, controller);
                if (!Directory.Exists(hierarchy) || Own(controller) is not { } mine)
                    throw new IOException($"no cgroup v1 {controller} hierarchy");
                string group = Path.Combine(hierarchy, mine.TrimStart('/'), leaf);
                Directory.CreateDirectory(group);
                made.Add(group);
                foreach (var (file, value) in files)
                    File.WriteAllText(Path.Combine(group, file), value);
            }
            note = $"cgroup v1 (cpu, memory, pids under {Own("memory")}): {limits}";
            return new HostLimits(made, note);
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            note = $"no control group for the hosts ({e.Message}); limits: fixed DMA memory, managed heap ceiling, descriptors, watchdog";
            return null;
        }
    }

    // This process's group in a hierarchy ("" = the unified one), from /proc/self/cgroup.
    private static string? Own(string controller)
    {
        foreach (var line in File.ReadLines("/proc/self/cgroup"))
        {
            var parts = line.Split(':', 3);
            if (parts.Length == 3 && (controller.Length == 0 ? parts[0] == "0" : parts[1].Split(',').Contains(controller)))
                return parts[2];
        }
        return null;
    }

    /// <summary>Moves a host process into the group(s); false when the kernel refused.</summary>
    public bool Add(int pid)
    {
        try
        {
            foreach (var g in groups)
                File.WriteAllText(Path.Combine(g, "cgroup.procs"), pid.ToString());
            return true;
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            return false;
        }
    }

    /// <summary>Whether <paramref name="pid"/> is in the hosts' group (first hierarchy).</summary>
    public bool Contains(int pid)
    {
        try
        {
            return File.ReadAllLines(Path.Combine(groups[0], "cgroup.procs")).Contains(pid.ToString());
        }
        catch (IOException)
        {
            return false;
        }
    }

    public void Dispose()
    {
        // A group can be removed once its processes are gone.
        foreach (var g in groups)
        {
            try
            {
                Directory.Delete(g);
            }
            catch (IOException)
            {
            }
        }
    }
}
