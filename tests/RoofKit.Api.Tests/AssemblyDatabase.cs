using RoofKit.Testing;

namespace RoofKit.Api.Tests;

/// <summary>The test database of this assembly, created once and migrated by the production migrator.</summary>
[SetUpFixture]
public sealed class AssemblyDatabase
{
    public static TestDatabase Database { get; private set; } = null!;

    [OneTimeSetUp]
    public async Task CreateAsync() => Database = await TestDatabase.CreateAsync("roofkit_api");

    [OneTimeTearDown]
    public async Task DropAsync() => await Database.DisposeAsync();
}
