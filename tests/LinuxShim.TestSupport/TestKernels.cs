// SPDX-License-Identifier: MIT
// Test helper. The installed kernels the port and host tests run against: Linux 6.1 always (.ci/run
// installs it; the tests that say nothing of a version run on it), and every other series a port supports
// that is installed too, so that one run covers each. $LINUXSHIM_TEST_KERNELS ("6.1 6.12", as .ci/run sets
// it) names the series that must be there: one missing fails the tests instead of leaving its cases out.
// $LINUXSHIM_SYSROOT moves where installed kernels are looked for (a root with 6.12 unpacked beside 6.1).
using LinuxShim.Import.Install;
using LinuxShim.Import.Port;

namespace LinuxShim.TestSupport;

public static class TestKernels
{
    public const string Variable = "LINUXSHIM_TEST_KERNELS";

    /// <summary>The series every test that names none runs on.</summary>
    public const string Default = "6.1";

    private static readonly Lock Gate = new();
    private static readonly Dictionary<string, Importer> Opened = [];

    /// <summary>The series to run on: $LINUXSHIM_TEST_KERNELS when set, else 6.1 and every installed series a port supports.</summary>
    public static IReadOnlyList<string> Series { get; } = FindSeries();

    /// <summary>The installed pair of <paramref name="series"/>, opened once per test run and shared.</summary>
    public static Importer Open(string series)
    {
        lock (Gate)
        {
            if (!Opened.TryGetValue(series, out var importer))
            {
                try
                {
                    importer = Importer.Open(KernelRequest.FromCommandLine(null, null, series));
                }
                catch (ImportException e)
                {
                    throw new InvalidOperationException($"the tests need Linux {series}'s source and headers (.ci/run installs them): {e.Message}", e);
                }
                Opened[series] = importer;
            }
            return importer;
        }
    }

    /// <summary>One case per series.</summary>
    public static TheoryData<string> Each()
    {
        var data = new TheoryData<string>();
        foreach (var s in Series)
            data.Add(s);
        return data;
    }

    /// <summary>One case per series and port, for the ports that support the series.</summary>
    public static TheoryData<string, string> EachPort(params string[] ports)
    {
        var data = new TheoryData<string, string>();
        foreach (var s in Series)
            foreach (var port in ports)
                if (Supports(port, s))
                    data.Add(s, port);
        return data;
    }

    public static bool Supports(string port, string series) =>
        KernelVersion.TryParseSeries(series, out var v) && Recipe(port).Supports(v);

    public static PortRecipe Recipe(string port) => PortRecipe.Load(Path.Combine(TestRepository.Root, "ports", port));

    private static List<string> FindSeries()
    {
        if (Environment.GetEnvironmentVariable(Variable) is { Length: > 0 } required)
            return required.Split([' ', ','], StringSplitOptions.RemoveEmptyEntries).ToList();
        var supported = Directory.GetDirectories(Path.Combine(TestRepository.Root, "ports"))
            .Where(d => File.Exists(Path.Combine(d, PortRecipe.FileName)))
            .SelectMany(d => PortRecipe.Load(d).Kernels).ToHashSet();
        var series = new List<string> { Default };
        foreach (var v in InstalledKernels.Find().CompleteSeries)
            if (supported.Contains(v) && v.ToString() != Default)
                series.Add(v.ToString());
        return series;
    }
}
