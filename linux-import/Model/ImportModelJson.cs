// SPDX-License-Identifier: MIT
// Managed side. Reads and writes the Import Model as JSON (snake_case, indented, stable order).
using System.Text.Encodings.Web;
using System.Text.Json;
using System.Text.Json.Serialization;

namespace LinuxShim.Import.Model;

public static class ImportModelJson
{
    public static readonly JsonSerializerOptions Options = new()
    {
        PropertyNamingPolicy = JsonNamingPolicy.SnakeCaseLower,
        DictionaryKeyPolicy = null,
        WriteIndented = true,
        DefaultIgnoreCondition = JsonIgnoreCondition.WhenWritingNull,
        Encoder = JavaScriptEncoder.UnsafeRelaxedJsonEscaping,
        TypeInfoResolver = new System.Text.Json.Serialization.Metadata.DefaultJsonTypeInfoResolver(),
    };

    public static string Serialize(ImportModel model) => JsonSerializer.Serialize(model, Options) + "\n";

    public static ImportModel Deserialize(string json) =>
        JsonSerializer.Deserialize<ImportModel>(json, Options) ?? throw new ImportException("empty import model JSON");
}
