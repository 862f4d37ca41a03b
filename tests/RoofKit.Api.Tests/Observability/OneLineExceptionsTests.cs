using RoofKit.Api.Observability;
using RoofKit.Infrastructure.Persistence;

namespace RoofKit.Api.Tests.Observability;

/// <summary>What a log line says of an exception (<see cref="OneLineExceptions.Summary"/>) and of DbUp's messages.</summary>
public sealed class OneLineExceptionsTests
{
    [Test]
    public async Task ShouldNameTheTypeTheMessageAndTheAsyncMethodItCameThroughOnOneLine()
    {
        var thrown = await CatchAsync(() => FailAsync("first line\r\n  second line"));

        OneLineExceptions.Summary(thrown).Should().Be(
            "System.InvalidOperationException: first line second line (in RoofKit.Api.Tests.Observability.OneLineExceptionsTests.FailAsync)");
    }

    [Test]
    public void ShouldNameTheMethodOfALambdaAndEachInnerException()
    {
        Exception thrown = null!;
        Action fail = () => throw new ArgumentException("outer", new FormatException("inner"));
        try
        {
            fail();
        }
        catch (ArgumentException e)
        {
            thrown = e;
        }

        OneLineExceptions.Summary(thrown).Should().Be(
            "System.ArgumentException: outer (in RoofKit.Api.Tests.Observability.OneLineExceptionsTests.ShouldNameTheMethodOfALambdaAndEachInnerException)"
            + " ---> System.FormatException: inner");
    }

    [Test]
    public void ShouldFallBackToTheTypeWhenTheExceptionMisbehaves()
    {
        OneLineExceptions.Summary(new NullMessageException()).Should().Be($"{typeof(NullMessageException).FullName}: ");
        OneLineExceptions.Summary(new ThrowingMessageException()).Should().Be(typeof(ThrowingMessageException).FullName);
    }

    [Test]
    public async Task ShouldCutDbUpsMessagesWhereTheStackTraceBegins()
    {
        var thrown = await CatchAsync(() => FailAsync("relation \"workspaces\" already exists"));

        DatabaseMigrator.OneLine("Upgrade failed due to an unexpected exception:\r\n{0}", thrown.ToString()).Should().Be(
            "Upgrade failed due to an unexpected exception: System.InvalidOperationException: relation \"workspaces\" already exists");
        DatabaseMigrator.OneLine(thrown.ToString()).Should().NotContain("at ").And.NotContain("\n");
        DatabaseMigrator.OneLine("Executing script {0}", "0001_initial_schema.sql").Should().Be("Executing script 0001_initial_schema.sql");
        DatabaseMigrator.OneLine("a brace { without its argument", "x").Should().Be("a brace { without its argument");
    }

    private static async Task FailAsync(string message)
    {
        await Task.Yield();
        throw new InvalidOperationException(message);
    }

    private static async Task<Exception> CatchAsync(Func<Task> action)
    {
        try
        {
            await action();
        }
        catch (InvalidOperationException e)
        {
            return e;
        }

        throw new AssertionException("nothing was thrown");
    }

    private sealed class NullMessageException : Exception
    {
        public override string Message => null!;
    }

    private sealed class ThrowingMessageException : Exception
    {
        public override string Message => throw new NotSupportedException();
    }
}
