// SPDX-License-Identifier: MIT
// Test helper. Validates documents against the published SPDX 2.3 and CycloneDX 1.6 JSON schemas
// kept in Schemas/ (the CycloneDX schema refers to spdx.schema.json and jsf-0.82.schema.json by
// their $id, so all three are built into one registry). Formats (date-time, uri…) are asserted.
using System.Text.Json;
using Json.Schema;

namespace LinuxShim.Import.Tests.Licence;

internal static class SchemaValidation
{
    private static readonly string Folder = Path.Combine(TestRepository.Root, "tests", "LinuxShim.Import.Tests", "Licence", "Schemas");
    private static readonly Lazy<(JsonSchema Spdx, JsonSchema CycloneDx)> Schemas = new(Load);

    private static (JsonSchema, JsonSchema) Load()
    {
        var options = new BuildOptions { SchemaRegistry = new SchemaRegistry() };
        JsonSchema Build(string file) => JsonSchema.FromText(File.ReadAllText(Path.Combine(Folder, file)), options);
        Build("spdx.schema.json");
        Build("jsf-0.82.schema.json");
        var cdx = Build("bom-1.6.schema.json");
        var spdx = Build("spdx-schema.json");
        return (spdx, cdx);
    }

    public static List<string> Spdx23(string json) => Validate(Schemas.Value.Spdx, json);

    public static List<string> CycloneDx16(string json) => Validate(Schemas.Value.CycloneDx, json);

    /// <summary>Asserts that the SPDX document in <paramref name="spdxFile"/> and the BOM in <paramref name="cycloneDxFile"/> are valid.</summary>
    public static void AssertValid(string spdxFile, string cycloneDxFile)
    {
        var spdxErrors = Spdx23(File.ReadAllText(spdxFile));
        Assert.True(spdxErrors.Count == 0, string.Join("\n", spdxErrors));
        var cdxErrors = CycloneDx16(File.ReadAllText(cycloneDxFile));
        Assert.True(cdxErrors.Count == 0, string.Join("\n", cdxErrors));
    }

    private static List<string> Validate(JsonSchema schema, string json)
    {
        using var doc = JsonDocument.Parse(json);
        var result = schema.Evaluate(doc.RootElement, new EvaluationOptions { OutputFormat = OutputFormat.List, RequireFormatValidation = true });
        if (result.IsValid)
            return [];
        return (result.Details ?? []).Where(d => d.Errors is { Count: > 0 })
            .SelectMany(d => d.Errors!.Select(e => $"{d.InstanceLocation} ({d.EvaluationPath}): {e.Key}: {e.Value}"))
            .DefaultIfEmpty("invalid, with no details").ToList();
    }
}
