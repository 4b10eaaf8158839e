using System.Text.Json;
using Microsoft.EntityFrameworkCore.ChangeTracking;
using Microsoft.EntityFrameworkCore.Storage.ValueConversion;

namespace ConOps.Console.Sync;

/// <summary>
/// What one app should run on one host: the deployed state the host's agent receives, a change waiting for
/// approval, and whether automated sync is paused there (after a rollback).
/// </summary>
public sealed class AppHostStateRecord
{
    public required string App { get; set; }

    public required string Host { get; set; }

    /// <summary>The AppDesiredState (protobuf bytes, without credentials) this host gets for the app.</summary>
    public byte[]? Deployed { get; set; }

    /// <summary>Commit <see cref="Deployed"/> came from.</summary>
    public string? DeployedCommit { get; set; }

    /// <summary>A rendered change waiting for approval (protobuf bytes), or null.</summary>
    public byte[]? Pending { get; set; }

    /// <summary>The plan of <see cref="Pending"/> against <see cref="Deployed"/> (JSON of <see cref="ChangePlan"/>).</summary>
    public string? PendingPlan { get; set; }

    public string? PendingCommit { get; set; }

    public string PendingMessage { get; set; } = "";

    public string PendingAuthor { get; set; } = "";

    public string PendingTrigger { get; set; } = "";

    public DateTimeOffset? PendingSince { get; set; }

    /// <summary>Why automated sync is paused on this host (a plain sentence), or null when it runs.</summary>
    public string? PausedReason { get; set; }

    /// <summary>The newest commit when the pause began: a different commit lifts the pause.</summary>
    public string? PausedAtCommit { get; set; }
}

/// <summary>Stores small objects as JSON text columns.</summary>
public static class JsonColumn
{
    public static ValueConverter<T, string> Converter<T>() where T : new() =>
        new(v => JsonSerializer.Serialize(v, JsonSerializerOptions.Default), v => JsonSerializer.Deserialize<T>(v, JsonSerializerOptions.Default) ?? new T());

    public static ValueComparer<T> Comparer<T>() where T : new() =>
        new(
            (a, b) => JsonSerializer.Serialize(a, JsonSerializerOptions.Default) == JsonSerializer.Serialize(b, JsonSerializerOptions.Default),
            v => JsonSerializer.Serialize(v, JsonSerializerOptions.Default).GetHashCode(StringComparison.Ordinal),
            v => JsonSerializer.Deserialize<T>(JsonSerializer.Serialize(v, JsonSerializerOptions.Default), JsonSerializerOptions.Default) ?? new T());
}
