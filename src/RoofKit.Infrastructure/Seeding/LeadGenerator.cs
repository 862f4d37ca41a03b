using System.Globalization;
using RoofKit.Domain.Leads;

namespace RoofKit.Infrastructure.Seeding;

/// <summary>One generated lead; the generator refills the same instance for every row.</summary>
internal sealed class SeedLead
{
    public Guid Id { get; set; }
    public string? FirstName { get; set; }
    public string? LastName { get; set; }
    public string? Email { get; set; }
    public string? Phone { get; set; }
    public string? Street { get; set; }
    public string? City { get; set; }
    public string? Region { get; set; }
    public string? PostalCode { get; set; }
    public string? Source { get; set; }
    public string? Medium { get; set; }
    public string? Campaign { get; set; }
    public Guid StatusStageId { get; set; }
    public string? Notes { get; set; }
    public DateTime CreatedAt { get; set; }
    public DateTime UpdatedAt { get; set; }
}

/// <summary>
/// Realistic US roofing leads from one <see cref="Random"/> stream. The same seed and stages give the same
/// leads at any time; only timestamps follow the clock (and with them a seasonal campaign's name), and
/// <see cref="SeedLead.Id"/> is a fresh UUIDv7, so that seeding twice adds leads instead of colliding on the
/// primary key.
/// </summary>
internal sealed class LeadGenerator
{
    private const long TicksPerMicrosecond = TimeSpan.TicksPerMillisecond / 1000;
    private const long MicrosPerMinute = 60_000_000;
    private const long MicrosPerHour = 3_600_000_000;
    private const long MicrosPerDay = 86_400_000_000;
    private const long WindowMicros = 730 * MicrosPerDay;

    // Share of rows that carry a value a spreadsheet would run as a formula (see SeedData.FormulaNotes), and
    // of rows whose note starts with a tab or line break.
    private const double FormulaRate = 0.01;
    private const double ControlLedNoteRate = 0.001;

    // Leads per month of the year (index 0 = January): roofing is a spring and summer business.
    private static readonly double[] MonthWeights = [0.45, 0.5, 0.8, 1.0, 1.0, 0.95, 0.85, 0.8, 0.75, 0.7, 0.55, 0.4];

    // Leads per hour of the day in US Central time (index 0 = midnight): forms are filled in while awake.
    private static readonly double[] HourWeights =
    [
        0.05, 0.04, 0.03, 0.03, 0.04, 0.08, 0.2, 0.5, 0.9, 1.0, 1.0, 1.0,
        0.95, 0.9, 0.9, 0.9, 0.85, 0.85, 0.75, 0.7, 0.6, 0.4, 0.25, 0.12,
    ];

    private static readonly string[] FirstNamesLower = Lower(SeedData.FirstNames);
    private static readonly string[] FirstNamesUpper = Upper(SeedData.FirstNames);
    private static readonly string[] LastNamesLower = Lower(SeedData.LastNames);
    private static readonly string[] LastNamesUpper = Upper(SeedData.LastNames);
    private static readonly string[] FirstNamesAscii = EmailForms(SeedData.FirstNames);
    private static readonly string[] LastNamesAscii = EmailForms(SeedData.LastNames);
    private static readonly string[] TwoDigits = [.. Enumerable.Range(0, 100).Select(i => i.ToString("D2", CultureInfo.InvariantCulture))];
    private static readonly string[] BirthYears = [.. Enumerable.Range(1950, 56).Select(i => i.ToString(CultureInfo.InvariantCulture))];
    private static readonly string[] Initials = [.. Enumerable.Range('a', 26).Select(c => ((char)c).ToString())];
    private static readonly int[] CityWeights = Cumulative(SeedData.Cities.Select(c => c.Weight));
    private static readonly int[] ChannelWeights = Cumulative(SeedData.Channels.Select(c => c.Weight));
    private static readonly int[] EmailDomainWeights = Cumulative(SeedData.PersonalEmailDomainWeights);

    private readonly Random _random;
    private readonly long _nowMicros;
    private readonly long _windowStartMicros;
    private readonly StageChooser _stages;
    private readonly long[] _hourStarts;
    private readonly double[] _hourCumulative;
    private readonly string?[] _zipCodes = new string?[100_000];
    private readonly int _firstCampaignYear;
    private readonly string[,] _seasonalCampaigns;
    private readonly string[] _yardSignCampaigns;

    // A "bulk edit": the office moved several leads at once, so they share one updated_at to the microsecond.
    // Keyset pagination must break such ties by id; the seeded data makes sure there are ties to break.
    private int _tieRowsLeft;
    private long _tieMicros;

    public LeadGenerator(int seed, DateTime nowUtc, IReadOnlyList<StatusStage> stages)
    {
        _random = new Random(seed);
        _nowMicros = nowUtc.ToUniversalTime().Ticks / TicksPerMicrosecond;
        _windowStartMicros = _nowMicros - WindowMicros;
        _stages = new StageChooser(stages);
        (_hourStarts, _hourCumulative) = HourlyLeadVolume(_windowStartMicros, _nowMicros);

        // Campaign names carry a year: two years back touch three calendar years, and a January lead's winter
        // campaign is named after the year before.
        _firstCampaignYear = new DateTime(_windowStartMicros * TicksPerMicrosecond, DateTimeKind.Utc).Year - 1;
        var years = new DateTime(_nowMicros * TicksPerMicrosecond, DateTimeKind.Utc).Year - _firstCampaignYear + 1;
        _seasonalCampaigns = new string[SeedData.SeasonalCampaignPrefixes.Length, years];
        _yardSignCampaigns = new string[years];
        for (var y = 0; y < years; y++)
        {
            var year = (_firstCampaignYear + y).ToString(CultureInfo.InvariantCulture);
            for (var season = 0; season < SeedData.SeasonalCampaignPrefixes.Length; season++)
            {
                _seasonalCampaigns[season, y] = SeedData.SeasonalCampaignPrefixes[season] + year;
            }
            _yardSignCampaigns[y] = "yard_sign_" + year;
        }
    }

    // Every choice that depends on the clock (when the lead came in, its stage, its last update) draws the same
    // number of values whatever the clock says: a branch that drew more or fewer would shift every later draw,
    // and the same seed would no longer give the same leads at another time of day.
    public void Next(SeedLead lead)
    {
        var random = _random;

        var createdMicros = NextCreatedMicros();
        var age = (double)(_nowMicros - createdMicros) / WindowMicros;
        var (stageId, stageRank) = _stages.Choose(random.NextDouble(), random.NextDouble(), age);

        // Names: common ones more often; now and then typed in lower or upper case.
        var first = Skewed(SeedData.FirstNames.Length);
        var last = Skewed(SeedData.LastNames.Length);
        var casing = random.Next(1000);
        (lead.FirstName, lead.LastName) = casing switch
        {
            < 25 => (FirstNamesLower[first], LastNamesLower[last]),
            < 30 => (FirstNamesUpper[first], LastNamesUpper[last]),
            _ => (SeedData.FirstNames[first], SeedData.LastNames[last]),
        };
        if (random.Next(100) < 2)
        {
            lead.LastName = null;
        }

        var channel = SeedData.Channels[Pick(ChannelWeights)];
        var city = SeedData.Cities[Pick(CityWeights)];

        lead.Email = random.NextDouble() < channel.EmailMissingRate ? null : NextEmail(first, last);
        lead.Phone = random.Next(100) < (channel.Source == "email" ? 20 : 3) ? null : NextPhone(city);
        NextAddress(lead, city);

        lead.Source = channel.HandTypedSource is not null && random.Next(200) == 0 ? channel.HandTypedSource : channel.Source;
        lead.Medium = channel.Medium;
        var createdAt = new DateTime(createdMicros * TicksPerMicrosecond, DateTimeKind.Utc);
        lead.Campaign = channel.Campaigns[random.Next(channel.Campaigns.Length)] switch
        {
            SeedData.StormCampaign => city.StormCampaign,
            SeedData.SeasonalCampaign => SeasonalCampaign(createdAt),
            SeedData.YardSignCampaign => _yardSignCampaigns[createdAt.Year - _firstCampaignYear],
            var campaign => campaign,
        };

        lead.StatusStageId = stageId;
        lead.Notes = random.Next(100) < 42 ? NextNote() : null;

        if (random.NextDouble() < FormulaRate)
        {
            var field = random.Next(100);
            if (field < 65)
            {
                lead.Notes = SeedData.FormulaNotes[random.Next(SeedData.FormulaNotes.Length)];
            }
            else if (field < 78)
            {
                lead.FirstName = SeedData.FormulaFirstNames[random.Next(SeedData.FormulaFirstNames.Length)];
            }
            else if (field < 88)
            {
                lead.LastName = SeedData.FormulaLastNames[random.Next(SeedData.FormulaLastNames.Length)];
            }
            else
            {
                lead.Campaign = SeedData.FormulaCampaigns[random.Next(SeedData.FormulaCampaigns.Length)];
            }
        }
        else if (random.NextDouble() < ControlLedNoteRate)
        {
            lead.Notes = SeedData.ControlLedNotes[random.Next(SeedData.ControlLedNotes.Length)];
        }

        var updatedMicros = NextUpdatedMicros(createdMicros, stageRank);
        lead.CreatedAt = createdAt;
        lead.UpdatedAt = new DateTime(updatedMicros * TicksPerMicrosecond, DateTimeKind.Utc);
        lead.Id = Guid.CreateVersion7(new DateTimeOffset(lead.CreatedAt));
    }

    private string SeasonalCampaign(DateTime createdAt)
    {
        var (season, year) = createdAt.Month switch
        {
            >= 3 and <= 5 => (0, createdAt.Year),
            >= 6 and <= 8 => (1, createdAt.Year),
            >= 9 and <= 11 => (2, createdAt.Year),
            12 => (3, createdAt.Year),
            _ => (3, createdAt.Year - 1),
        };
        return _seasonalCampaigns[season, year - _firstCampaignYear];
    }

    private long NextCreatedMicros()
    {
        var x = _random.NextDouble() * _hourCumulative[^1];
        var hour = Array.BinarySearch(_hourCumulative, x);
        hour = Math.Min(hour < 0 ? ~hour : hour + 1, _hourStarts.Length - 1);
        var end = hour + 1 < _hourStarts.Length ? _hourStarts[hour + 1] : _nowMicros;
        return _hourStarts[hour] + _random.NextInt64(Math.Max(1, end - _hourStarts[hour]));
    }

    // The relative number of leads in each clock hour of the window: more in spring and summer, more in waking
    // hours (US Central), and growing, so a recent month has about twice the leads of the same month two years
    // ago. Hours are aligned to the clock; the first and last are partial.
    private static (long[] Starts, double[] Cumulative) HourlyLeadVolume(long fromMicros, long toMicros)
    {
        var starts = new List<long> { fromMicros };
        for (var h = (fromMicros / MicrosPerHour + 1) * MicrosPerHour; h < toMicros; h += MicrosPerHour)
        {
            starts.Add(h);
        }
        var cumulative = new double[starts.Count];
        var total = 0.0;
        for (var i = 0; i < starts.Count; i++)
        {
            var end = i + 1 < starts.Count ? starts[i + 1] : toMicros;
            var at = new DateTime(starts[i] * TicksPerMicrosecond, DateTimeKind.Utc);
            var recency = 1.0 - (double)(toMicros - starts[i]) / WindowMicros;
            var weight = (0.5 + 0.5 * recency) * MonthWeights[at.Month - 1] * HourWeights[(at.Hour + 18) % 24];
            total += weight * (end - starts[i]) / MicrosPerHour;
            cumulative[i] = total;
        }
        return ([.. starts], cumulative);
    }

    // A lead further down the pipeline has been worked on longer; some are touched again much later (a note,
    // a corrected phone number). Never later than now, never before the lead was created.
    private long NextUpdatedMicros(long createdMicros, int stageRank)
    {
        var random = _random;
        var untouched = random.Next(100) < 65;
        var worked = -Math.Log(1.0 - random.NextDouble());
        var jitter = random.NextInt64(MicrosPerMinute);
        var touchedLater = random.Next(100) < 8;
        var later = random.NextDouble();
        var clamp = random.NextDouble();
        var startsBulkEdit = random.Next(1000) < 2;

        var room = _nowMicros - createdMicros;
        long delta;
        if (stageRank == 0 && untouched)
        {
            delta = 0;
        }
        else
        {
            var meanDays = stageRank switch { 0 => 0.5, 1 => 3.0, 2 => 6.0, 3 => 12.0, _ => 20.0 };
            delta = (long)(worked * meanDays * MicrosPerDay) + jitter + (touchedLater ? (long)(later * room) : 0);
        }
        var updatedMicros = delta < room ? createdMicros + delta : createdMicros + (long)(clamp * room);

        if (_tieRowsLeft > 0)
        {
            _tieRowsLeft--;
            if (_tieMicros >= createdMicros)
            {
                updatedMicros = _tieMicros;
            }
        }
        else if (startsBulkEdit)
        {
            _tieRowsLeft = random.Next(2, 26);
            _tieMicros = updatedMicros;
        }
        return updatedMicros;
    }

    private string NextEmail(int first, int last)
    {
        var random = _random;
        var f = FirstNamesAscii[first];
        var l = LastNamesAscii[last];
        string domain;
        if (random.Next(100) < 5)
        {
            domain = SeedData.CompanyEmailDomains[random.Next(SeedData.CompanyEmailDomains.Length)];
            return random.Next(2) == 0 ? string.Concat(f, ".", l, "@", domain) : string.Concat(f[..1], l, "@", domain);
        }
        domain = SeedData.PersonalEmailDomains[Pick(EmailDomainWeights)];
        var style = random.Next(100);
        return style switch
        {
            < 26 => string.Concat(f, ".", l, "@", domain),
            < 40 => string.Concat(f, l, "@", domain),
            < 52 => string.Concat(f[..1], l, "@", domain),
            < 64 => string.Concat(string.Concat(f, ".", l), TwoDigits[random.Next(100)], "@", domain),
            < 69 => string.Concat(f, "_", l, "@", domain),
            < 78 => string.Concat(string.Concat(f, l[..1]), TwoDigits[random.Next(100)], "@", domain),
            < 88 => string.Concat(f, BirthYears[random.Next(BirthYears.Length)], "@", domain),
            < 93 => string.Concat(l, ".", f, "@", domain),
            _ => string.Concat(string.Concat(f, ".", Initials[random.Next(26)]), ".", l, "@", domain),
        };
    }

    // E.164: +1, an area code of the lead's city (now and then of another city: people keep their number when
    // they move), an exchange that is not N11 or 555, and a line number.
    private string NextPhone(SeedCity city)
    {
        var random = _random;
        var home = random.Next(100) < 88 ? city : SeedData.Cities[random.Next(SeedData.Cities.Length)];
        var areaCode = home.AreaCodes[random.Next(home.AreaCodes.Length)];
        int exchange;
        do
        {
            exchange = random.Next(200, 1000);
        }
        while (exchange % 100 == 11 || exchange == 555);
        var line = random.Next(10_000);
        return string.Create(12, (areaCode, exchange, line), static (span, s) =>
        {
            span[0] = '+';
            span[1] = '1';
            s.areaCode.AsSpan().CopyTo(span[2..]);
            s.exchange.TryFormat(span[5..], out _, "D3", CultureInfo.InvariantCulture);
            s.line.TryFormat(span[8..], out _, "D4", CultureInfo.InvariantCulture);
        });
    }

    private void NextAddress(SeedLead lead, SeedCity city)
    {
        var random = _random;
        var completeness = random.Next(100);
        lead.Street = completeness < 90 ? NextStreet() : null;
        lead.City = completeness < 95 ? city.Name : null;
        lead.Region = completeness < 95 ? city.Region : null;
        if (completeness >= 98)
        {
            lead.PostalCode = null;
            return;
        }
        var zip = random.Next(city.ZipLow, city.ZipHigh + 1);
        var zipText = _zipCodes[zip] ??= zip.ToString("D5", CultureInfo.InvariantCulture);
        lead.PostalCode = random.Next(100) < 4
            ? string.Concat(zipText, "-", random.Next(1, 10_000).ToString("D4", CultureInfo.InvariantCulture))
            : zipText;
    }

    private string NextStreet()
    {
        var random = _random;
        var number = random.Next(100) < 70 ? random.Next(100, 10_000) : random.Next(10_000, 25_000);
        var name = SeedData.StreetNames[random.Next(SeedData.StreetNames.Length)];
        var suffix = SeedData.StreetSuffixes[random.Next(SeedData.StreetSuffixes.Length)];
        var shape = random.Next(100);
        return shape switch
        {
            < 12 => string.Create(CultureInfo.InvariantCulture,
                $"{number} {SeedData.StreetDirections[random.Next(SeedData.StreetDirections.Length)]} {name} {suffix}"),
            < 15 => string.Create(CultureInfo.InvariantCulture,
                $"{number} {name} {suffix} {SeedData.UnitPrefixes[random.Next(SeedData.UnitPrefixes.Length)]} {random.Next(1, 40)}{(char)('A' + random.Next(4))}"),
            _ => string.Create(CultureInfo.InvariantCulture, $"{number} {name} {suffix}"),
        };
    }

    private string NextNote()
    {
        var random = _random;
        var kind = random.Next(100);
        if (kind < 55)
        {
            return SeedData.Notes[random.Next(SeedData.Notes.Length)];
        }
        return (kind % 7) switch
        {
            0 => string.Create(CultureInfo.InvariantCulture,
                $"Insurance claim #{(char)('A' + random.Next(26))}{(char)('A' + random.Next(26))}-{random.Next(1_000_000, 10_000_000)} with {SeedData.Insurers[random.Next(SeedData.Insurers.Length)]}"),
            1 => string.Create(CultureInfo.InvariantCulture,
                $"Insurance claim #{random.Next(10, 100)}-{random.Next(1_000_000, 10_000_000)}-{random.Next(1, 10)}, adjuster visit pending"),
            2 => string.Create(CultureInfo.InvariantCulture,
                $"Roof is about {random.Next(5, 36)} years old, {SeedData.RoofMaterials[random.Next(SeedData.RoofMaterials.Length)]}"),
            3 => string.Create(CultureInfo.InvariantCulture,
                $"Adjuster meeting {SeedData.Weekdays[random.Next(SeedData.Weekdays.Length)]} at {random.Next(8, 13) % 12 + 1}:{random.Next(4) * 15:D2}"),
            4 => string.Create(CultureInfo.InvariantCulture,
                $"Estimate ${random.Next(60, 450) * 100:N0} for {(random.Next(3) == 0 ? "repair and gutters" : "full replacement")}"),
            5 => string.Create(CultureInfo.InvariantCulture,
                $"Approx. {random.Next(14, 61)} squares, {random.Next(4, 13)}/12 pitch"),
            _ => string.Create(CultureInfo.InvariantCulture,
                $"Gate code {random.Next(1000, 10_000)}, side entrance"),
        };
    }

    // Index into a list ordered by popularity: the first tenth gets about a quarter of the draws.
    private int Skewed(int length) => (int)(length * Math.Pow(_random.NextDouble(), 1.6));

    private int Pick(int[] cumulative)
    {
        var index = Array.BinarySearch(cumulative, _random.Next(cumulative[^1]) + 1);
        return index >= 0 ? index : ~index;
    }

    private static int[] Cumulative(IEnumerable<int> weights)
    {
        var total = 0;
        return [.. weights.Select(w => total += w)];
    }

    private static string[] Lower(string[] names) => [.. names.Select(n => n.ToLowerInvariant())];

    private static string[] Upper(string[] names) => [.. names.Select(n => n.ToUpperInvariant())];

    // "Muñoz" -> "munoz", "O'Brien" -> "obrien", "Juan Carlos" -> "juancarlos".
    private static string[] EmailForms(string[] names) =>
        [.. names.Select(n => new string([.. n.ToLowerInvariant().Select(Unaccent).Where(char.IsAsciiLetterLower)]))];

    private static char Unaccent(char c) => c switch
    {
        'á' or 'à' or 'ä' or 'â' => 'a',
        'é' or 'è' or 'ë' or 'ê' => 'e',
        'í' or 'ì' or 'ï' or 'î' => 'i',
        'ó' or 'ò' or 'ö' or 'ô' => 'o',
        'ú' or 'ù' or 'ü' or 'û' => 'u',
        'ñ' => 'n',
        'ç' => 'c',
        _ => c,
    };

    /// <summary>
    /// Picks a stage: young leads are mostly in the first open stages, old ones mostly won or lost. Works for
    /// any pipeline a workspace has, not only the default six.
    /// </summary>
    private sealed class StageChooser
    {
        private readonly Guid[] _open;
        private readonly double[] _openCumulative;
        private readonly Guid[] _won;
        private readonly Guid[] _lost;

        public StageChooser(IReadOnlyList<StatusStage> stages)
        {
            if (stages.Count == 0)
            {
                throw new InvalidOperationException("The workspace has no status stages to put leads in.");
            }
            var ordered = stages.OrderBy(s => s.Position).ToList();
            _open = [.. ordered.Where(s => s.Kind == "open").Select(s => s.Id)];
            _won = [.. ordered.Where(s => s.Kind == "won").Select(s => s.Id)];
            _lost = [.. ordered.Where(s => s.Kind == "lost").Select(s => s.Id)];
            var total = 0.0;
            _openCumulative = [.. _open.Select((_, i) => total += Math.Pow(0.72, i))];
        }

        /// <summary>
        /// The stage and how far along the pipeline it is (0 = first open stage; won and lost rank last), from
        /// two uniform draws: <paramref name="closing"/> decides open or closed, <paramref name="which"/> which one.
        /// </summary>
        public (Guid Id, int Rank) Choose(double closing, double which, double age)
        {
            var closedShare = _open.Length == 0 ? 1.0
                : _won.Length + _lost.Length == 0 ? 0.0
                : 0.04 + 0.36 * Math.Sqrt(age);
            if (closing >= closedShare)
            {
                var x = which * _openCumulative[^1];
                var i = 0;
                while (i < _open.Length - 1 && x >= _openCumulative[i])
                {
                    i++;
                }
                return (_open[i], i);
            }
            const double wonShare = 0.55;
            var (closed, at) = (_won.Length, _lost.Length) switch
            {
                (0, _) => (_lost, which),
                (_, 0) => (_won, which),
                _ when which < wonShare => (_won, which / wonShare),
                _ => (_lost, (which - wonShare) / (1 - wonShare)),
            };
            return (closed[Math.Min((int)(at * closed.Length), closed.Length - 1)], int.MaxValue);
        }
    }
}
