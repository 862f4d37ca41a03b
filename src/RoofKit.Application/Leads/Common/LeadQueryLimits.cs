namespace RoofKit.Application.Leads.Common;

/// <summary>An endpoint's bounds of <c>limit</c> (CONTRACT.md §6): the rows a response holds when none is asked for, and the most it takes.</summary>
public readonly record struct LeadQueryLimits(int Default, int Max);
