// SPDX-License-Identifier: MIT
// Managed side. A port's recipe (ports/<name>/port.conf): which upstream module to build, from which
// directory of the kernel tree, for which kernel version, with which optional patches. A port may load
// several modules into one driver host (ne2k-pci with 8390, virtio_net with the virtio core): each
// `module` line belongs to the `directory` line above it, the first names the driver. The recipe
// names upstream files; it never holds them.
using LinuxShim.Import.Install;

namespace LinuxShim.Import.Port;

public sealed record PortRecipe
{
    public const string FileName = "port.conf";

    /// <summary>The port's name (its folder's name).</summary>
    public required string Name { get; init; }

    /// <summary>The port's folder.</summary>
    public required string Folder { get; init; }

    /// <summary>Directory of the kernel tree holding the module's Makefile, e.g. drivers/net/ethernet/realtek.</summary>
    public required string Directory { get; init; }

    /// <summary>Kbuild module name, e.g. 8139too: the driver (the recipe's first module); its name names the build's files.</summary>
    public required string Module { get; init; }

    /// <summary>Every module the port loads, the driver first, then the ones it needs in the recipe's order
    /// (the load order comes from their requirements, see <see cref="ModuleLoadOrder"/>).</summary>
    public IReadOnlyList<PortModule> Modules { get; init; } = [];

    /// <summary>True when the port loads more than its driver module.</summary>
    public bool IsMultiModule => Modules.Count > 1;

    /// <summary>The Linux series the port supports ("kernel = 6.1, 6.12"), compared exactly by major.minor:
    /// port build and run take the newest installed of them; a tree of another version gets a warning.</summary>
    public required IReadOnlyList<KernelVersion> Kernels { get; init; }

    /// <summary>True when <paramref name="version"/> is of a series the port supports.</summary>
    public bool Supports(KernelVersion version) => Kernels.Any(k => k.SameSeries(version));

    /// <summary>"6.1, 6.12".</summary>
    public string KernelList => string.Join(", ", Kernels);

    /// <summary>What to ask of the kernel inputs for this port: the series it supports, and --linux, --build,
    /// --kernel as given (<paramref name="given"/>, see <see cref="KernelRequest.FromCommandLine"/>).</summary>
    public KernelRequest Request(KernelRequest given) =>
        given with { Supported = Kernels, SupportedBy = DisplayName };

    /// <summary>The folder as the user would name it: relative to the working directory when inside it.</summary>
    public string DisplayName
    {
        get
        {
            string relative = Path.GetRelativePath(Environment.CurrentDirectory, Folder);
            return relative.StartsWith("..", StringComparison.Ordinal) ? Folder : relative;
        }
    }

    /// <summary>Patches (unified diff, paths relative to the tree root), applied in order to copies of the sources;
    /// every one the recipe names (the corresponding source lists them all), see <see cref="PatchesFor"/>.</summary>
    public IReadOnlyList<string> Patches { get; init; } = [];

    /// <summary>The series a patch is for ("patch = 6.1: fix.patch"); a patch not listed here is for every kernel.</summary>
    public IReadOnlyDictionary<string, KernelVersion> PatchSeries { get; init; } = new Dictionary<string, KernelVersion>();

    /// <summary>The patches a build for <paramref name="version"/> applies: those for every kernel and those for its series.</summary>
    public IReadOnlyList<string> PatchesFor(KernelVersion version) =>
        Patches.Where(p => !PatchSeries.TryGetValue(p, out var series) || series.SameSeries(version)).ToList();

    /// <summary>The emulated device `linuxshim run` gives the driver (rtl8139, e1000), if the port names one.</summary>
    public string? Device { get; init; }

    /// <summary>A configuration fragment (path) laid over the kernel's configuration for this port ("config = of.config"):
    /// the port is scanned and built in a build directory configured with it (<see cref="Kbuild.ConfiguredBuild"/>).</summary>
    public string? Config { get; init; }

    /// <summary>The board's device tree source (path, "device-tree = board.dts"): compiled with dtc at port build into
    /// MODULE.dtb beside the driver .so, which the driver host loads with it (the nodes of its platform devices).</summary>
    public string? DeviceTree { get; init; }

    /// <summary>Module parameters the port passes to the driver at load ("name=value").</summary>
    public IReadOnlyList<string> Parameters { get; init; } = [];

    /// <summary>Reads <paramref name="folder"/>/port.conf: "key = value" lines, '#' comments.</summary>
    public static PortRecipe Load(string folder)
    {
        folder = Path.GetFullPath(folder);
        string file = Path.Combine(folder, FileName);
        if (!System.IO.Directory.Exists(folder))
            throw new ImportException($"{folder}: no such port folder");
        if (!File.Exists(file))
            throw new ImportException($"{file}: a port folder needs a {FileName} recipe (see ports/README.md)");
        string? directory = null, device = null, config = null, deviceTree = null;
        var modules = new List<(string? Directory, string Name)>();
        List<KernelVersion>? kernels = null;
        var patches = new List<string>();
        var patchSeries = new Dictionary<string, KernelVersion>(StringComparer.Ordinal);
        var parameters = new List<string>();
        int number = 0;
        foreach (var raw in File.ReadAllLines(file))
        {
            number++;
            string line = raw.Trim();
            if (line.Length == 0 || line.StartsWith('#'))
                continue;
            int eq = line.IndexOf('=');
            if (eq <= 0)
                throw new ImportException($"{file}:{number}: expected 'key = value', found '{line}'");
            string key = line[..eq].Trim(), value = line[(eq + 1)..].Trim();
            if (value.Length == 0)
                throw new ImportException($"{file}:{number}: '{key}' has no value");
            switch (key)
            {
                case "directory":
                    directory = KernelTreePath(value, file, number);
                    // Modules named above the first directory line belong to it.
                    for (int i = 0; i < modules.Count; i++)
                        modules[i] = (modules[i].Directory ?? directory, modules[i].Name);
                    break;
                case "module":
                    if (modules.Any(m => m.Name == value))
                        throw new ImportException($"{file}:{number}: module {value} is listed twice");
                    modules.Add((directory, value));
                    break;
                case "kernel": kernels = KernelSeries(value, file, number); break;
                case "device": device = value; break;
                case "patch":
                    // "6.1: fix.patch": for that series only (a fix of what one kernel's sources have).
                    KernelVersion? only = null;
                    int colon = value.IndexOf(':');
                    if (colon > 0 && KernelVersion.TryParseSeries(value[..colon].Trim(), out var series))
                    {
                        only = series;
                        value = value[(colon + 1)..].Trim();
                    }
                    string patch = Path.GetFullPath(Path.Combine(folder, value));
                    if (!File.Exists(patch))
                        throw new ImportException($"{file}:{number}: patch {value} does not exist in {folder}");
                    patches.Add(patch);
                    if (only is { } s)
                        patchSeries[patch] = s;
                    break;
                case "config":
                    if (config is not null)
                        throw new ImportException($"{file}:{number}: one config fragment per port");
                    config = Path.GetFullPath(Path.Combine(folder, value));
                    if (!File.Exists(config))
                        throw new ImportException($"{file}:{number}: config fragment {value} does not exist in {folder}");
                    break;
                case "device-tree":
                    if (deviceTree is not null)
                        throw new ImportException($"{file}:{number}: one device tree per port");
                    deviceTree = Path.GetFullPath(Path.Combine(folder, value));
                    if (!File.Exists(deviceTree))
                        throw new ImportException($"{file}:{number}: device tree {value} does not exist in {folder}");
                    break;
                case "parameter":
                    if (!value.Contains('='))
                        throw new ImportException($"{file}:{number}: a parameter is 'name=value', found '{value}'");
                    parameters.Add(value);
                    break;
                default:
                    throw new ImportException($"{file}:{number}: unknown key '{key}' (known: directory, module, kernel, device, config, device-tree, patch, parameter)");
            }
        }
        if (directory is null)
            throw new ImportException($"{file}: missing 'directory = <kernel tree directory>'");
        if (modules.Count == 0)
            throw new ImportException($"{file}: missing 'module = <Kbuild module name>'");
        var list = modules.Select(m => new PortModule(m.Directory!, m.Name)).ToList();
        return new PortRecipe
        {
            Name = Path.GetFileName(folder),
            Folder = folder,
            Directory = list[0].Directory,
            Module = list[0].Name,
            Modules = list,
            Kernels = kernels ?? throw new ImportException($"{file}: missing 'kernel = <versions>' (e.g. kernel = 6.1, 6.12)"),
            Device = device,
            Config = config,
            DeviceTree = deviceTree,
            Patches = patches,
            PatchSeries = patchSeries,
            Parameters = parameters,
        };
    }

    /// <summary>"6.1, 6.12": MAJOR.MINOR series, separated by commas or spaces, each once.</summary>
    private static List<KernelVersion> KernelSeries(string value, string file, int number)
    {
        var list = new List<KernelVersion>();
        foreach (string word in value.Split([',', ' ', '\t'], StringSplitOptions.RemoveEmptyEntries))
        {
            if (!KernelVersion.TryParseSeries(word, out var v))
                throw new ImportException($"{file}:{number}: kernel versions are MAJOR.MINOR (6.1, 6.12), found '{word}'");
            if (list.Contains(v))
                throw new ImportException($"{file}:{number}: kernel {v} is listed twice");
            list.Add(v);
        }
        list.Sort();
        return list;
    }

    private static string KernelTreePath(string value, string file, int number)
    {
        if (Path.IsPathRooted(value) || value.Split('/').Contains(".."))
            throw new ImportException($"{file}:{number}: directory must be relative to the kernel tree root, found '{value}'");
        return value.TrimEnd('/');
    }
}

/// <summary>One upstream module of a port: the kernel tree directory holding its Makefile, and its Kbuild name.</summary>
public sealed record PortModule(string Directory, string Name);
