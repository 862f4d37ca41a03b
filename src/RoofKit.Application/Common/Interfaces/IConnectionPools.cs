namespace RoofKit.Application.Common.Interfaces;

/// <summary>The instance's database connection pools, as the error handling needs them after an outage (503).</summary>
public interface IConnectionPools
{
    /// <summary>Drops the idle connections of every pool, so that the next requests open fresh ones.</summary>
    void ClearIdleConnections();
}
