-- Leads for the spreadsheet check of scripts/e2e.sh (CONTRACT.md §7: no cell of the export becomes a formula when
-- LibreOffice Calc imports it with comma, semicolon or tab as the separator). Each payload fills every text column
-- of one lead, and every lead is in a stage (position 1000, after the workspace's own) whose name is one too. One
-- lead is plain: its phone (E.164) and its notes (a negative number) must reach the spreadsheet exactly as they are,
-- with their sign and without a '.
-- psql -v workspace=<slug>
INSERT INTO status_stages (id, workspace_id, name, position, kind)
SELECT gen_random_uuid(), w.id, E'=1+1;=2+2\t=3+3', 1000, 'open' FROM workspaces w WHERE w.slug = :'workspace';

INSERT INTO leads (id, workspace_id, first_name, last_name, email, phone, street, city, region, postal_code,
                   source, medium, campaign, status_stage_id, notes, created_at, updated_at)
SELECT gen_random_uuid(), w.id, v.p, v.p, v.p, v.p, v.p, v.p, v.p, v.p, v.p, v.p, v.p, s.id, v.p,
       now() - interval '1 hour' + v.n * interval '1 second', now() - interval '1 hour' + v.n * interval '1 second'
FROM workspaces w
JOIN status_stages s ON s.workspace_id = w.id AND s.position = 1000
CROSS JOIN (VALUES
    (1, E'=1+1'),
    (2, E'+1+1'),
    (3, E'-2-3'),
    (4, E'@SUM(1+1)'),
    (5, E'+A1'),
    (6, E'\t=2+2'),
    (7, E'\r\n=3+3'),
    (8, E'\n=4+4'),
    (9, E'x;=1+1;y'),
    (10, E'a\t=3+3\tb'),
    (11, E'q,=6+6'),
    (12, E'line\n=7+7'),
    (13, E'line\r\n=8+8'),
    (14, E'x; =9+9'),
    (15, E'x;"=10+10"'),
    (16, E'";=11+11'),
    (17, E'"";=12+12;"'),
    (18, E'=HYPERLINK("http://evil.example","click")'),
    (19, E'=cmd|'' /C calc''!A0'),
    (20, E'a,+13+13,-14-14,@SUM(1+1)'),
    (21, E'-3.5;=15+15'),
    (22, E'+15125550143;=16+16')
) AS v(n, p)
WHERE w.slug = :'workspace';

INSERT INTO leads (id, workspace_id, first_name, last_name, email, phone, street, city, region, postal_code,
                   source, medium, campaign, status_stage_id, notes, created_at, updated_at)
SELECT gen_random_uuid(), w.id, 'Ann', 'Lee', 'ann@example.com', '+15125550142', '1 Main St', 'Austin', 'TX', '78701',
       'google', 'cpc', 'spring', s.id, '-3.5', now() - interval '2 hours', now() - interval '2 hours'
FROM workspaces w JOIN status_stages s ON s.workspace_id = w.id AND s.position = 1000
WHERE w.slug = :'workspace';
