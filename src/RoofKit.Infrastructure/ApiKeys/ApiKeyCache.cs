using System.Collections.Concurrent;
using Microsoft.Extensions.Options;
using RoofKit.Application.Common.Interfaces;

namespace RoofKit.Infrastructure.ApiKeys;

/// <summary>
/// The keys this instance has read, trusted for at most <see cref="ApiKeyCacheOptions.CacheMaxAgeSeconds"/> and only
/// while <see cref="ApiKeyChangeListener"/> is listening: a change to any key or workspace empties it on every
/// instance as soon as its notification arrives (ADR-010). While the listener is down nothing is served from it.
/// </summary>
public sealed class ApiKeyCache(IOptions<ApiKeyCacheOptions> options, TimeProvider clock)
{
    // Enough for every key of a large installation; past it the cache starts over rather than grow.
    private const int MaxEntries = 50_000;
    private readonly ConcurrentDictionary<string, Entry> entries = new(StringComparer.Ordinal);
    private readonly TimeSpan maxAge = TimeSpan.FromSeconds(Math.Max(0, options.Value.CacheMaxAgeSeconds));
    private long generation;
    private volatile bool listening;

    /// <summary>
    /// Taken before a key is read from the database and handed back to <see cref="Add"/>: a change notified while the
    /// read was in flight makes the entry stale before it is stored, and it is never served.
    /// </summary>
    public long Generation => Interlocked.Read(ref generation);

    /// <summary>Whether keys are kept at all: only while the listener hears every change.</summary>
    public bool Listening => listening;

    public bool TryGet(string publicId, out StoredApiKey? key)
    {
        if (listening && entries.TryGetValue(publicId, out var entry) && entry.Generation == Generation
            && clock.GetUtcNow() - entry.ReadAt < maxAge)
        {
            key = entry.Key;
            return true;
        }

        key = null;
        return false;
    }

    public void Add(string publicId, StoredApiKey key, DateTimeOffset readAt, long generationBeforeRead)
    {
        // With no maximum age the listener never starts, so nothing is ever added.
        if (!listening)
        {
            return;
        }

        if (!entries.ContainsKey(publicId) && entries.Count >= MaxEntries)
        {
            entries.Clear();
        }

        entries[publicId] = new Entry(key, readAt, generationBeforeRead);
    }

    /// <summary>A key or workspace changed: nothing read before now is served again.</summary>
    public void Invalidate()
    {
        Interlocked.Increment(ref generation);
        entries.Clear();
    }

    /// <summary>The listener's state. Either way what was cached goes: it may have missed a notification.</summary>
    public void SetListening(bool value)
    {
        listening = value;
        Invalidate();
    }

    private sealed record Entry(StoredApiKey Key, DateTimeOffset ReadAt, long Generation);
}
