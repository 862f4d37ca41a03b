using Microsoft.Extensions.DependencyInjection;
using Npgsql;
using RoofKit.Api.Tests.Support;
using RoofKit.Infrastructure.Persistence;

namespace RoofKit.Api.Tests.Reliability;

/// <summary>
/// Every statement the API sends is bounded by PostgreSQL's statement_timeout (Database:StatementTimeoutSeconds,
/// default 30 s), set on each of the API's connections, so a slow query ends in an error instead of holding a
/// request and a pooled connection for ever.
/// </summary>
public sealed class StatementTimeoutTests : ApiTestBase
{
    protected override IDictionary<string, string?> Settings => new Dictionary<string, string?>
    {
        ["Database:StatementTimeoutSeconds"] = "1",
    };

    [Test]
    public async Task ShouldCancelAStatementThatRunsLongerThanTheTimeoutOnEveryDataSourceOfTheApi()
    {
        var dataSources = new[]
        {
            Factory.Services.GetRequiredService<NpgsqlDataSource>(),
            Factory.Services.GetRequiredService<ReadDataSource>().DataSource,
        };

        foreach (var dataSource in dataSources)
        {
            await using var connection = await dataSource.OpenConnectionAsync();
            await using (var show = new NpgsqlCommand("SHOW statement_timeout", connection))
            {
                (await show.ExecuteScalarAsync()).Should().Be("1s");
            }

            await using (var quick = new NpgsqlCommand("SELECT pg_sleep(0.2)", connection))
            {
                await quick.ExecuteNonQueryAsync();
            }

            await using var slow = new NpgsqlCommand("SELECT pg_sleep(3)", connection);
            var failure = await FluentActions.Awaiting(() => slow.ExecuteNonQueryAsync()).Should().ThrowAsync<PostgresException>();
            failure.Which.SqlState.Should().Be(PostgresErrorCodes.QueryCanceled);
            failure.Which.MessageText.Should().Contain("statement timeout");
        }
    }

    [Test]
    public async Task ShouldBoundEveryStatementBy30SecondsByDefault()
    {
        await using var defaults = new ApiFactory(AssemblyDatabase.Database.ConnectionString);
        await using var connection = await defaults.Services.GetRequiredService<NpgsqlDataSource>().OpenConnectionAsync();
        await using var show = new NpgsqlCommand("SHOW statement_timeout", connection);

        (await show.ExecuteScalarAsync()).Should().Be("30s");
    }
}
