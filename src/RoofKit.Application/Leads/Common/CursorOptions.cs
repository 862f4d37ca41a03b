namespace RoofKit.Application.Leads.Common;

public sealed class CursorOptions
{
    public const string SectionName = "Cursor";

    /// <summary>The HMAC key that signs cursors; at least 32 characters. Rotating it invalidates every cursor.</summary>
    public string SigningKey { get; set; } = "";
}
