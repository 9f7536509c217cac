"""R-ACL-4 on PostgreSQL: row-level security keeps each organization's referrals to itself.

A member's login (a role named by their e-mail address, in `cosell_user`) reads and changes
only its own organization's `referrals` rows, even in raw SQL. Administrators of the app
(`cosell_admin`, superusers) and the tables' owner see everything. What another party may know
of a shared engagement — its party card (R-INV-4, R-ACL-1) — comes through functions that run
with the owner's rights and return exactly that:

- `cosell_party_cards(engagements)`: each party's organization, location, direction, status,
  help requested, creation time and incentive eligibility, for the engagements the caller's
  organization takes part in;
- `cosell_sender(referral)`: the inviting referral's id, name and organization, for a referral
  of the caller's organization that was invited (its team hears the answer, R-NOTE-2).

Inviting creates the invited organization's referral, so an INSERT may name another
organization when the caller's organization takes part in the engagement. The R-STORE-1 guard
functions run with the owner's rights too, so a closed deal is refused whoever cannot see it.

SQLite has no logins: whoever may open the file is trusted (docs/deploy.md).
"""

from __future__ import annotations

# Functions run as their owner (who bypasses row-level security) with a fixed search path.
_DEFINER = "SECURITY DEFINER SET search_path = public, pg_temp"

FUNCTIONS = (
    f"""CREATE OR REPLACE FUNCTION cosell_login_admin() RETURNS boolean
        LANGUAGE sql STABLE {_DEFINER} AS $$
        SELECT r.rolsuper OR (
            EXISTS (SELECT 1 FROM pg_roles WHERE rolname = 'cosell_admin')
            AND pg_has_role(session_user, 'cosell_admin', 'MEMBER'))
        FROM pg_roles r WHERE r.rolname = session_user $$""",
    f"""CREATE OR REPLACE FUNCTION cosell_login_organization() RETURNS integer
        LANGUAGE sql STABLE {_DEFINER} AS $$
        SELECT organization_id FROM users WHERE lower(email) = lower(session_user) LIMIT 1 $$""",
    f"""CREATE OR REPLACE FUNCTION cosell_takes_part(engagement text) RETURNS boolean
        LANGUAGE sql STABLE {_DEFINER} AS $$
        SELECT EXISTS (SELECT 1 FROM referrals WHERE engagement_id = engagement
                       AND organization_id = cosell_login_organization()) $$""",
    f"""CREATE OR REPLACE FUNCTION cosell_engagement_started(engagement text) RETURNS boolean
        LANGUAGE sql STABLE {_DEFINER} AS $$
        SELECT EXISTS (SELECT 1 FROM referrals WHERE engagement_id = engagement) $$""",
    f"""CREATE OR REPLACE FUNCTION cosell_referral_keeps_its_place() RETURNS trigger
        LANGUAGE plpgsql {_DEFINER} AS $$
        BEGIN
            IF NEW.engagement_id <> OLD.engagement_id
               OR NEW.organization_id <> OLD.organization_id THEN
                RAISE EXCEPTION USING ERRCODE = '23000', MESSAGE =
                    'cosell-tui: a deal stays in its engagement and with its organization';
            END IF;
            RETURN NEW;
        END $$""",
    f"""CREATE OR REPLACE FUNCTION cosell_party_cards(engagements text[])
        RETURNS TABLE (id varchar, engagement_id varchar, organization_id integer,
                       location_id integer,
                       direction varchar, status varchar, help_requested varchar,
                       created_at timestamp, incentive_eligible boolean)
        LANGUAGE sql STABLE {_DEFINER} AS $$
        SELECT r.id, r.engagement_id, r.organization_id, r.location_id, r.direction, r.status,
               r.help_requested, r.created_at,
               EXISTS (SELECT 1 FROM referral_solutions rs JOIN solutions s
                       ON s.id = rs.solution_id
                       WHERE rs.referral_id = r.id AND s.incentive_eligible)
        FROM referrals r
        WHERE r.engagement_id = ANY (engagements)
          AND (cosell_login_admin() OR cosell_takes_part(r.engagement_id)) $$""",
    f"""CREATE OR REPLACE FUNCTION cosell_sender(invited text)
        RETURNS TABLE (id varchar, name varchar, organization_id integer)
        LANGUAGE sql STABLE {_DEFINER} AS $$
        SELECT s.id, s.name, s.organization_id
        FROM invitations i JOIN referrals s ON s.id = i.from_referral_id
        JOIN referrals r ON r.id = i.referral_id
        WHERE i.referral_id = invited
          AND (cosell_login_admin() OR r.organization_id = cosell_login_organization()) $$""",
)

_OWN = "cosell_login_admin() OR organization_id = cosell_login_organization()"

POLICIES = (
    "ALTER TABLE referrals ENABLE ROW LEVEL SECURITY",
    f"CREATE POLICY referrals_read ON referrals FOR SELECT USING ({_OWN})",
    f"CREATE POLICY referrals_change ON referrals FOR UPDATE USING ({_OWN}) WITH CHECK ({_OWN})",
    f"CREATE POLICY referrals_remove ON referrals FOR DELETE USING ({_OWN})",
    # a new deal starts an engagement; a party invites others into its own engagement
    """CREATE POLICY referrals_insert ON referrals FOR INSERT WITH CHECK (
        cosell_login_admin() OR cosell_takes_part(engagement_id)
        OR (organization_id = cosell_login_organization()
            AND NOT cosell_engagement_started(engagement_id)))""",
    # nor may an UPDATE move a deal into another engagement or organization
    """CREATE TRIGGER referrals_keep_their_place BEFORE UPDATE ON referrals
        FOR EACH ROW EXECUTE FUNCTION cosell_referral_keeps_its_place()""",
)

DROP = (
    "DROP TRIGGER IF EXISTS referrals_keep_their_place ON referrals",
    "DROP POLICY IF EXISTS referrals_insert ON referrals",
    "DROP POLICY IF EXISTS referrals_remove ON referrals",
    "DROP POLICY IF EXISTS referrals_change ON referrals",
    "DROP POLICY IF EXISTS referrals_read ON referrals",
    "ALTER TABLE referrals DISABLE ROW LEVEL SECURITY",
    "DROP FUNCTION IF EXISTS cosell_referral_keeps_its_place()",
    "DROP FUNCTION IF EXISTS cosell_engagement_started(text)",
    "DROP FUNCTION IF EXISTS cosell_sender(text)",
    "DROP FUNCTION IF EXISTS cosell_party_cards(text[])",
    "DROP FUNCTION IF EXISTS cosell_takes_part(text)",
    "DROP FUNCTION IF EXISTS cosell_login_organization()",
    "DROP FUNCTION IF EXISTS cosell_login_admin()",
)
