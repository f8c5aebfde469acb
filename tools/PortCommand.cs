// SPDX-License-Identifier: MIT
// Managed side. "linuxshim port build PORT": compiles an upstream module from the kernel tree for
// the shim (see LinuxShim.Import.Port.PortBuilder) into PORT/build/MODULE.so.
using LinuxShim.Import;
using LinuxShim.Import.Kbuild;
using LinuxShim.Import.Port;
using LinuxShim.Shim;
using LinuxShim.Shim.Host;
using ShimLayout = LinuxShim.Shim.Layout.KernelLayout;

namespace LinuxShim.Tools;

public static class PortCommand
{
    public static int Run(CommandLine cl, TextWriter stdout, TextWriter stderr)
    {
        if (cl.Positionals.Count == 0 || cl.Positionals[0] != "build")
            throw new UsageException("port takes a subcommand: port build PORT");
        if (cl.Positionals.Count != 2)
            throw new UsageException("port build takes one port folder, e.g. ports/8139too");
        var recipe = PortRecipe.Load(cl.Positionals[1]);
        string outDir = cl.Get("out") ?? Path.Combine(recipe.Folder, "build");
        using var importer = KernelOptions.Open(cl, stderr, recipe);
        var build = Build(importer, recipe, outDir, cl.Has("quiet") ? null : stderr);
        stdout.WriteLine(build.Library);
        if (!cl.Has("quiet"))
        {
            stderr.WriteLine($"{recipe.Module}: {build.Trampolines.Count} kernel symbols from the host, {build.Stubs.Count} unimplemented"
                             + (build.Stubs.Count > 0 ? $" ({string.Join(", ", build.Stubs)}: calling one ends the driver)" : ""));
            if (build.NotInModel.Count > 0)
                stderr.WriteLine($"note: gcc's objects also need {string.Join(", ", build.NotInModel)} (not in the Import Model)");
        }
        return Cli.ExitOk;
    }

    /// <summary>Builds <paramref name="recipe"/> with this shim's native sources and managed symbols, with <paramref name="importer"/>'s kernel; a port with a config fragment
    /// in the build directory configured with it (the importer's own when it already is one).</summary>
    public static PortBuild Build(Importer importer, PortRecipe recipe, string outDir, TextWriter? log)
    {
        Action<string>? say = log is null ? null : m => log.WriteLine($"port: {m}");
        if (recipe.Config is { } fragment && ConfiguredBuild.BaseOf(importer.Build.Path) is null)
        {
            // Not disposed: it shares the caller's tree, which the caller's importer disposes.
            var configured = importer.Configured(ConfigFragment.Load(fragment), Environment.ProcessorCount, say);
            say?.Invoke(configured.Choice);
            return PortBuilder.Build(configured, recipe, ShimSide(configured), outDir, say);
        }
        return PortBuilder.Build(importer, recipe, ShimSide(importer), outDir, say);
    }

    /// <summary>What this shim brings to a build: its native sources (extracted once), managed symbols, layouts.</summary>
    public static ShimSide ShimSide(Importer importer)
    {
        string native = NativeSources.ExtractTo(Path.Combine(importer.CacheRoot, "shim-native",
            typeof(NativeSources).Assembly.ManifestModule.ModuleVersionId.ToString("N")[..16]));
        var methods = DriverLibrary.ManagedMethods();
        var managed = new HashSet<string>(methods.Keys, StringComparer.Ordinal);
        var layout = ShimLayout.Requests().Select(r => new LayoutRequest(r.Struct, r.Field, r.Header)).ToList();
        var assumptions = ShimLayout.Assumptions().Select(a => new ConstantAssumption(a.Expression, a.Value, a.Header)).ToList();
        var constants = ShimLayout.ConstantRequests().Select(c => new ConstantRequest(c.Expression, c.Header)).ToList();
        return new ShimSide(Path.Combine(native, "native"), ShadowHeaders.For(Path.Combine(native, "include"), importer.Version), managed, layout, assumptions,
            constants, BoundaryStruct.Of(typeof(Glue)), Glue.CurrentVersion, methods.ToDictionary(m => m.Key, m => ManagedPrototype.From(m.Value), StringComparer.Ordinal));
    }
}
