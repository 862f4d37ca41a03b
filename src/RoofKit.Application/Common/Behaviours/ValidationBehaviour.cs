using FluentValidation;
using MediatR;
using RoofKit.Application.Common.Exceptions;

namespace RoofKit.Application.Common.Behaviours;

/// <summary>Runs every FluentValidation validator of the request and reports all of their failures at once.</summary>
public sealed class ValidationBehaviour<TRequest, TResponse>(IEnumerable<IValidator<TRequest>> validators)
    : IPipelineBehavior<TRequest, TResponse>
{
    public async Task<TResponse> Handle(TRequest request, CancellationToken cancellationToken, RequestHandlerDelegate<TResponse> next)
    {
        List<ParameterError>? errors = null;
        foreach (var validator in validators)
        {
            var result = await validator.ValidateAsync(request, cancellationToken);
            foreach (var failure in result.Errors)
            {
                (errors ??= []).Add(new ParameterError(
                    failure.PropertyName,
                    failure.ErrorMessage,
                    string.IsNullOrEmpty(failure.ErrorCode) || failure.ErrorCode.EndsWith("Validator", StringComparison.Ordinal)
                        ? "invalid_request"
                        : failure.ErrorCode));
            }
        }

        if (errors is not null)
        {
            throw new RequestValidationException(errors);
        }

        return await next();
    }
}
