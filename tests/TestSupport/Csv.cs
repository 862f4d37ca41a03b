using CsvHelper;

namespace RoofKit.Testing;

/// <summary>Reads CSV back with CsvHelper's reader, header row included as the first record.</summary>
public static class Csv
{
    public static List<string[]> Parse(byte[] body)
    {
        using var reader = CsvReader.Create(new MemoryStream(body), CsvReaderOptions.Default with { HasHeader = false }, leaveOpen: false);
        var records = new List<string[]>();
        while (reader.Read())
        {
            var fields = new string[reader.FieldCount];
            for (var i = 0; i < fields.Length; i++)
            {
                fields[i] = reader[i].ToString();
            }

            records.Add(fields);
        }

        return records;
    }
}
