// SPDX-License-Identifier: MIT
// Managed side. The supervisor's audit log: append-only JSON lines, one record per event (start,
// capability granted, sandbox violation attempt, crash, hang, memory exhaustion, restart, stop),
// each written and fsynced before the supervisor acts on the event, so a record survives a crash of
// the supervisor itself.
using System.Text;
using System.Text.Json;

namespace LinuxShim.Supervisor;

public sealed class AuditLog : IDisposable
{
    private readonly FileStream? file;
    private readonly object gate = new();
    private readonly List<Dictionary<string, object?>> records = [];

    /// <summary>A log appended to <paramref name="path"/> (created if missing), or kept in memory only when null.</summary>
    public AuditLog(string? path)
    {
        if (path is null)
            return;
        Directory.CreateDirectory(Path.GetDirectoryName(Path.GetFullPath(path))!);
        file = new FileStream(path, FileMode.Append, FileAccess.Write, FileShare.Read);
    }

    /// <summary>Every record written so far (newest last).</summary>
    public IReadOnlyList<IReadOnlyDictionary<string, object?>> Records
    {
        get
        {
            lock (gate)
                return [.. records];
        }
    }

    /// <summary>Raised after each record is on disk.</summary>
    public event Action<IReadOnlyDictionary<string, object?>>? Written;

    public void Write(string @event, params (string Key, object? Value)[] fields)
    {
        var record = new Dictionary<string, object?>
        {
            ["time"] = DateTimeOffset.UtcNow.ToString("yyyy-MM-ddTHH:mm:ss.fffZ"),
            ["event"] = @event,
        };
        foreach (var (k, v) in fields)
            record[k] = v;
        byte[] line = Encoding.UTF8.GetBytes(JsonSerializer.Serialize(record) + "\n");
        lock (gate)
        {
            records.Add(record);
            if (file is not null)
            {
                file.Write(line);
                file.Flush(flushToDisk: true);
            }
        }
        Written?.Invoke(record);
    }

    public void Dispose() => file?.Dispose();
}
