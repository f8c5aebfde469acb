// SPDX-License-Identifier: MIT
// Managed side. --linux, --build and --kernel as every command that reads a kernel takes them: opens a
// matching source tree and build directory and, when any of it was taken from the installed kernels,
// says in one line which pair and why.
using LinuxShim.Import;
using LinuxShim.Import.Install;
using LinuxShim.Import.Kbuild;
using LinuxShim.Import.Port;

namespace LinuxShim.Tools;

public static class KernelOptions
{
    /// <summary>The request of the command line (and $LINUXSHIM_LINUX, $LINUXSHIM_BUILD), for <paramref name="port"/> when given.</summary>
    public static KernelRequest Request(CommandLine cl, PortRecipe? port = null)
    {
        KernelRequest request;
        try
        {
            request = KernelRequest.FromCommandLine(cl.Get("linux"), cl.Get("build"), cl.Get("kernel"));
        }
        catch (ImportException e)
        {
            throw new UsageException(e.Message);
        }
        return port is null ? request : port.Request(request);
    }

    /// <summary>Opens the kernel inputs; the choice goes to <paramref name="log"/> when defaults made it (and the
    /// command is not --quiet).</summary>
    public static Importer Open(CommandLine cl, TextWriter? log, PortRecipe? port = null) => Open(Request(cl, port), cl, log, port);

    /// <summary>A port with a config fragment gets the build directory configured with it over the chosen one's
    /// configuration (made the first time, minutes; cached after), whatever --build said; the choice line says so.</summary>
    public static Importer Open(KernelRequest request, CommandLine cl, TextWriter? log, PortRecipe? port = null)
    {
        var importer = Importer.Open(request, cl.Get("cache"));
        bool quiet = cl.Has("quiet");
        if (port?.Config is { } fragment)
        {
            try
            {
                importer = importer.Configured(ConfigFragment.Load(fragment), Jobs(cl), quiet ? null : line => log?.WriteLine($"linuxshim: {line}"));
            }
            catch
            {
                importer.Dispose();
                throw;
            }
            if (!quiet)
                log?.WriteLine($"linuxshim: {importer.Choice}");
            return importer;
        }
        if (importer.Defaulted && !quiet)
            log?.WriteLine($"linuxshim: {importer.Choice}");
        return importer;
    }

    /// <summary>--jobs N, default every core.</summary>
    public static int Jobs(CommandLine cl) => cl.GetInt("jobs", Environment.ProcessorCount);
}
