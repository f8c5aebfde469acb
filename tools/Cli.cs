// SPDX-License-Identifier: MIT
// Managed side. The linuxshim command line: parses global options, dispatches to a command, and
// turns every expected failure into one "linuxshim: ..." line and a non-zero exit code.
using LinuxShim.Import;

namespace LinuxShim.Tools;

public static class Cli
{
    public const int ExitOk = 0;
    public const int ExitFailure = 1;
    public const int ExitUsage = 2;
    public const int ExitInterrupted = 130; // 128 + SIGINT, as a shell reports a command Ctrl-C ended

    public const string Help = """
        linuxshim: reuse Linux device drivers without trusting them.

        Usage:
          linuxshim scan DIR [--json FILE] [--html FILE] [--markdown FILE] [options]
                                                         what each module under DIR is made of and needs
          linuxshim scan merge PART.json... --json FILE  join the results of scan --shard runs
          linuxshim scan diff OLD NEW [DIR] [--json FILE] [--html FILE] [--markdown FILE]
                         [--old-build DIR] [--new-build DIR]
                                                         per module of DIR, what changed between two kernels:
                                                         required symbols added, removed, likely renamed,
                                                         prototypes, export type or provider; per port what
                                                         the shim lacks on NEW. OLD and NEW: an installed
                                                         version (6.1, 6.12), a tree PATH[@REV] (its build
                                                         directory: --old-build/--new-build, else the
                                                         installed one of its version), or @REV of the git
                                                         repository --linux names. DIR defaults to the
                                                         directory holding every port's module
          linuxshim verify DIR... [--shard I/N] [--json FILE] [options]
                                                         check scan's requires against Kbuild's own build (nm -u)
          linuxshim verify merge PART.json... [--json FILE]
                                                         join the parts of verify --shard runs: one summary
          linuxshim commands DIR [--json FILE]           compile_commands.json of the sources scan parses
          linuxshim port build PORT [--out DIR]          build a port's upstream module into a driver .so
                                                         (default PORT/build/MODULE.so); a port with
                                                         "config = FRAGMENT" is built as configure makes it
          linuxshim configure FRAGMENT [options]         a build directory configured as the kernel's with
                                                         FRAGMENT's CONFIG_ lines over it (make olddefconfig
                                                         modules_prepare, no vmlinux; minutes once, then
                                                         cached); prints its path, for --build DIR. Exports
                                                         of what FRAGMENT turns on are read from their
                                                         EXPORT_SYMBOL lines
          linuxshim device rtl8139|e1000|dwmac|qemu:MODEL --socket PATH [--wire inproc|tap:NAME|udp:HOST:PORT] [--pcap FILE]
                                                         serve an emulated NIC over vfio-user (see device --help)
          linuxshim device --list                        the NIC models (ours and QEMU's), their PCI ids, their ports
          linuxshim run PORT [--tap NAME] [--wire inproc|tap:NAME|udp:HOST:PORT[:LOCALPORT]] [--pcap FILE]
                         [--device MODEL] [--mac MAC] [--param NAME=VALUE]... [--in-process] [--runtime-dir DIR]
                         [--watchdog-ms N] [--audit FILE]
                                                         run a port's driver isolated and supervised on its
                                                         emulated NIC (the port's device line, or --device,
                                                         e.g. qemu:e1000), its interface on TAP NAME (default
                                                         shim0), until Ctrl-C; audit log in the runtime dir
          linuxshim demo [--seconds N] [--json FILE] [--verbose] [--port PORT] [--device MODEL]
                                                         the seed scenario: a trojan in 8139too crashes, then
                                                         hangs it; isolated, the monitor survives and loses
                                                         nothing; in its process, everything dies
          linuxshim demo --crashes N [--no-standby] [--json FILE]
                                                         recovery time over N crashes (median, p90, p99)
          linuxshim inject PORT... --faults N [--kinds LIST] [--seed S] [--json FILE] [--device MODEL]
                                                         fault injection campaign: code, kernel API, device
                                                         and trojan faults into the supervised driver, each
                                                         classified (see inject --help)
          linuxshim netif show [INTERFACE] [--socket PATH] [--json FILE]
                                                         link, MAC, MTU, driver, counters of running drivers
          linuxshim netif bench PORT [--seconds N] [--json FILE] [--audit FILE] [--watchdog-ms N]
                         [--device MODEL] [--compare MODEL]...
                                                         frames/s through the driver, isolated vs in one process
                                                         (and isolated on each --compare model, e.g. qemu:e1000)
          linuxshim netif soak PORT [--minutes N] [--json FILE] [--audit FILE] [--watchdog-ms N] [--device MODEL]
                                                         N minutes (10) at full rate both ways, isolated and
                                                         supervised: restarts (must be 0), events lost (0),
                                                         resident memory of every process at start and end
          linuxshim host LIB.so [--vfio-user SOCKET]... [--fake-pci VVVV:DDDD]... [--param NAME=VALUE]...
                         [--netif SOCKET] [--sandbox] [--up] [--exit-after-probe] [--memory MIB]
                         [--device-timeout-ms N] [--stop-timeout-ms N]
                                                         run a driver .so in this process under the shim;
                                                         --netif serves its interfaces there, --sandbox locks
                                                         the process down before the driver's init; a device
                                                         reply may take N ms (5000), a shutdown N ms (1000)
          linuxshim host --supervisor SOCKET             a driver host as a supervisor starts it: everything
                                                         comes as descriptors through SOCKET
          linuxshim licence DIR|PORT [--deployment FILE] [--json FILE] [--markdown FILE] [--html FILE]
                         [--spdx FILE] [--cyclonedx FILE]
                                                         licence boundary report: SPDX lines, GPL-only imports,
                                                         address spaces, corresponding source (see licence --help)
          linuxshim --help | --version

        DIR is a directory of the kernel tree, e.g. drivers/net/ethernet/realtek. PORT is a port folder,
        e.g. ports/8139too (run builds it first when its build/ is missing or older than the shim, with
        the kernel of its last build while that is installed; --kernel X.Y builds it for another, and
        says so).
        run needs CAP_NET_ADMIN for the TAP interfaces; its sockets and audit log are under
        /run/linuxshim/PORT (root; else $XDG_RUNTIME_DIR/linuxshim), or $LINUXSHIM_RUNTIME_DIR.

        Options:
          --linux PATH[@REV]  kernel source: a git repository (optionally at a revision, read without
                              checkout), a source directory, or a linux-source-*.tar.xz tarball.
                              Default: $LINUXSHIM_LINUX, else the installed source of --build's version.
          --build DIR         configured build directory (include/generated/autoconf.h,
                              include/config/auto.conf, Module.symvers). Default: $LINUXSHIM_BUILD,
                              else the installed build directory of --linux's version.
          --kernel X.Y        with neither given, the installed pair of Linux X.Y (6.1, 6.12). Default:
                              the newest installed pair (for a port, the newest it supports; a pair
                              is /usr/src/linux-source-X.Y[.tar.xz] with /usr/src/linux-headers-*-amd64
                              or /lib/modules/$(uname -r)/build of the same X.Y, newest patch level).
                              A tree and a build directory of different versions are refused. Installed
                              kernels are looked for under $LINUXSHIM_SYSROOT (default /).
          --json FILE         write the Import Model, with coverage against the shim, as JSON to
                              FILE ("-" for standard output); for verify, every module compared
                              (its missing and extra symbols) and why others were not.
          --markdown FILE     write the scan report as Markdown.
          --html FILE         write the scan report as one self-contained HTML page with charts.
          --jobs N            parse N files at once (default: all cores).
          --shard I/N         scan only part I of N (modules split evenly by sources); the N
                              partial results joined with scan merge equal a single run
                              (give scan merge the shards' kernel options: it imports the
                              provider modules outside the scan that coverage counts).
                              verify --shard I/N: part I of the directories Kbuild builds (whole
                              directories, split evenly by sources); verify merge joins the parts.
          --cache DIR         where extracted tarballs, git checkouts and analysed sources are
                              kept (default: $LINUXSHIM_CACHE, else ~/.cache/linuxshim).
          --no-cache          parse every source again, ignoring cached results.
          --quiet             no progress or summary on the terminal.
          --strict            exit 1 when a module has errors (a source failed to parse).

        Exit status: 0 success, 1 the input could not be read, 2 usage error.
        """;

    public static int Run(string[] args) => Run(args, Console.Out, Console.Error);

    public static int Run(string[] args, TextWriter stdout, TextWriter stderr) => Run(args, stdout, stderr, mayInstall: true);

    /// <param name="mayInstall">When the command stops for want of Debian packages, install them and run it again
    /// (once) where this process may (see <see cref="PackageInstaller"/>).</param>
    private static int Run(string[] args, TextWriter stdout, TextWriter stderr, bool mayInstall)
    {
        // The device server parses its own arguments (wire and socket specifications).
        if (args.Length > 0 && args[0] == "device")
            return DeviceCommand.Run(args[1..], stdout, stderr);
        // The driver host is its own executable (linuxshim-host, the shim only); `linuxshim host` runs it here.
        if (args.Length > 0 && args[0] == "host")
            return Host.HostCommand.Run(args[1..], stdout, stderr);
        // licence splits off its own options (--deployment, --spdx, --cyclonedx) before the common parse.
        if (args.Length > 0 && args[0] == "licence")
            return LicenceCommand.Run(args[1..], stdout, stderr);
        CommandLine parsed;
        try
        {
            parsed = CommandLine.Parse(args);
        }
        catch (UsageException e)
        {
            stderr.WriteLine($"linuxshim: {e.Message}");
            stderr.WriteLine("Try 'linuxshim --help'.");
            return ExitUsage;
        }
        if (parsed.Has("help"))
        {
            stdout.WriteLine(parsed.Command == "inject" ? Inject.InjectCommand.Help : Help);
            return ExitOk;
        }
        if (parsed.Command is null)
        {
            stderr.WriteLine(Help);
            return ExitUsage;
        }
        try
        {
            return parsed.Command switch
            {
                "version" => Version(stdout),
                "scan" => ScanCommand.Run(parsed, stdout, stderr),
                "verify" => VerifyCommand.Run(parsed, stdout, stderr),
                "commands" => CommandsCommand.Run(parsed, stdout, stderr),
                "configure" => ConfigureCommand.Run(parsed, stdout, stderr),
                "port" => PortCommand.Run(parsed, stdout, stderr),
                "run" => RunCommand.Run(parsed, stdout, stderr),
                "netif" => NetifCommand.Run(parsed, stdout, stderr),
                "demo" => Demo.DemoCommand.Run(parsed, stdout, stderr),
                "inject" => Inject.InjectCommand.Run(parsed, stdout, stderr),
                _ => throw new UsageException($"unknown command '{parsed.Command}'"),
            };
        }
        catch (UsageException e)
        {
            stderr.WriteLine($"linuxshim: {e.Message}");
            stderr.WriteLine("Try 'linuxshim --help'.");
            return ExitUsage;
        }
        catch (ImportException e)
        {
            stderr.WriteLine($"linuxshim: {e.Message}");
            if (mayInstall && e.Packages.Count > 0 && PackageInstaller.Provide(e.Packages, stderr))
                return Run(args, stdout, stderr, mayInstall: false);
            return ExitFailure;
        }
        catch (IOException e)
        {
            stderr.WriteLine($"linuxshim: {e.Message}");
            return ExitFailure;
        }
        catch (UnauthorizedAccessException e)
        {
            stderr.WriteLine($"linuxshim: {e.Message}");
            return ExitFailure;
        }
    }

    private static int Version(TextWriter stdout)
    {
        stdout.WriteLine($"linuxshim {typeof(Cli).Assembly.GetName().Version} ({Importer.AnalyserVersion})");
        return ExitOk;
    }
}
