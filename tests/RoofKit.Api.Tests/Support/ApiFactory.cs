using System.Net;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Mvc.Testing;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;
using RoofKit.Testing;

namespace RoofKit.Api.Tests.Support;

/// <summary>
/// The real API in-process on a test database. Requests come from 127.0.0.1, a trusted proxy, so a test
/// can choose its client address with X-Forwarded-For.
/// </summary>
public sealed class ApiFactory(
    string connectionString, IDictionary<string, string?>? settings = null, TimeProvider? clock = null, LogSink? logs = null)
    : WebApplicationFactory<Program>
{
    public const string SigningKey = "test-signing-key-0123456789-abcdefghijklmnopqrstuvwxyz";

    protected override void ConfigureWebHost(IWebHostBuilder builder)
    {
        builder.UseEnvironment("Testing");
        builder.ConfigureAppConfiguration((_, configuration) =>
        {
            var values = new Dictionary<string, string?>
            {
                ["ConnectionStrings:Default"] = connectionString,
                ["Cursor:SigningKey"] = SigningKey,
                ["Sync:SettleLagSeconds"] = "0",
                // Every first page reads the database's open transactions itself, so tests see each one exactly.
                ["Sync:HorizonMaxAgeMilliseconds"] = "0",
                // Every request reads its key, so a test that revokes a key and asks again at once sees it refused
                // without waiting for the change notification; ApiKeyCacheTests run the cache itself.
                ["ApiKeys:CacheMaxAgeSeconds"] = "0",
                ["Network:TrustedProxies:0"] = "127.0.0.1",
                ["Logging:LogLevel:Default"] = "Warning",
                // Every instance would listen on the one metrics port; the tests of /metrics give theirs a free one.
                ["Metrics:Enabled"] = "false",
            };
            // A null value takes a default above away (say the trusted proxy, for a test of the production default).
            foreach (var (key, value) in settings ?? new Dictionary<string, string?>())
            {
                if (value is null)
                {
                    values.Remove(key);
                }
                else
                {
                    values[key] = value;
                }
            }

            configuration.AddInMemoryCollection(values);
        });
        if (logs is not null)
        {
            builder.ConfigureLogging(logging => logging.AddProvider(logs));
        }

        builder.ConfigureServices(services =>
        {
            if (clock is not null)
            {
                services.AddSingleton(clock);
            }

            services.AddSingleton<Microsoft.AspNetCore.Hosting.IStartupFilter, LoopbackClientFilter>();
        });
    }

    private sealed class LoopbackClientFilter : Microsoft.AspNetCore.Hosting.IStartupFilter
    {
        public Action<Microsoft.AspNetCore.Builder.IApplicationBuilder> Configure(Action<Microsoft.AspNetCore.Builder.IApplicationBuilder> next) => app =>
        {
            app.Use(nextMiddleware => context =>
            {
                context.Connection.RemoteIpAddress ??= IPAddress.Loopback;
                return nextMiddleware(context);
            });
            next(app);
        };
    }
}
