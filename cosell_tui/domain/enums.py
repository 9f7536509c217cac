"""The fixed vocabularies of SPEC §2–§5; values are what the database stores."""

from __future__ import annotations

from enum import StrEnum


class Role(StrEnum):
    PARTNER_ADMIN = "partner_admin"
    REFERRAL_ADMIN = "referral_admin"
    REFERRAL_USER = "referral_user"
    SELLER = "seller"

    @property
    def label(self) -> str:
        return self.value.replace("_", " ").capitalize()


# Admins act on every referral of their organization (R-ACL-2); the default user is the first
# of these roles, lowest id first (SPEC §10, `queries.first_admin`).
ADMIN_ROLES = (Role.PARTNER_ADMIN, Role.REFERRAL_ADMIN, Role.SELLER)


class Status(StrEnum):
    RECEIVED = "received"
    ACCEPTED = "accepted"
    WON = "won"
    LOST = "lost"
    DECLINED = "declined"
    EXPIRED = "expired"

    @property
    def terminal(self) -> bool:
        return self in TERMINAL_STATUSES

    @property
    def label(self) -> str:
        return self.value.capitalize()


TERMINAL_STATUSES = frozenset({Status.WON, Status.LOST, Status.DECLINED, Status.EXPIRED})
ACTIVE_STATUSES = frozenset({Status.RECEIVED, Status.ACCEPTED})


class Direction(StrEnum):
    INBOUND = "inbound"
    OUTBOUND = "outbound"


class DealType(StrEnum):
    SOLUTION_ASSESSMENT = "solution_assessment"
    CO_SELL = "co_sell"
    PARTNER_TO_PARTNER = "p2p"
    PRIVATE = "private"

    @property
    def label(self) -> str:
        return {
            DealType.SOLUTION_ASSESSMENT: "Solution assessment",
            DealType.CO_SELL: "Co-sell",
            DealType.PARTNER_TO_PARTNER: "Partner to partner",
            DealType.PRIVATE: "Private",
        }[self]


class HelpType(StrEnum):
    NONE = "none"
    WORKLOAD_VALUE_PROPOSITION = "workload_value_proposition"
    CUSTOMER_TECHNICAL_ARCHITECTURE = "customer_technical_architecture"
    PROOF_OF_CONCEPT_OR_DEMO = "proof_of_concept_or_demo"
    QUOTES_AND_LICENSING = "quotes_and_licensing"
    POST_SALES_CUSTOMER_SUCCESS = "post_sales_customer_success"
    GENERAL_OR_OTHER = "general_or_other"

    @property
    def label(self) -> str:
        return self.value.replace("_", " ").capitalize()


class SolutionKind(StrEnum):
    PARTNER = "partner"
    VENDOR = "vendor"
    ASSESSMENT = "assessment"


class DeclineReason(StrEnum):
    """R-LIFE-5."""

    BUDGET_NOT_ADEQUATE = "budget_not_adequate"
    CUSTOMER_DID_NOT_RESPOND = "customer_did_not_respond"
    CUSTOMER_CHOSE_ANOTHER_VENDOR = "customer_chose_another_vendor"
    REQUIREMENT_NOT_MET = "requirement_not_met"
    NOT_A_CUSTOMER = "not_a_customer"
    TIMELINE_TOO_SHORT = "timeline_too_short"
    ABUSE_SPAM_OR_PHISHING = "abuse_spam_or_phishing"
    OTHER = "other"

    @property
    def label(self) -> str:
        return DECLINE_LABELS[self]


DECLINE_LABELS = {
    DeclineReason.BUDGET_NOT_ADEQUATE: "Project budget isn't adequate",
    DeclineReason.CUSTOMER_DID_NOT_RESPOND: "Customer didn't respond",
    DeclineReason.CUSTOMER_CHOSE_ANOTHER_VENDOR: "Customer chose another vendor",
    DeclineReason.REQUIREMENT_NOT_MET: "Customer requirement not met",
    DeclineReason.NOT_A_CUSTOMER: "Not a customer",
    DeclineReason.TIMELINE_TOO_SHORT: "Proposed timeline was too short",
    DeclineReason.ABUSE_SPAM_OR_PHISHING: "Report as abuse, spam or phishing",
    DeclineReason.OTHER: "Other",
}


class LostReason(StrEnum):
    """R-LIFE-6."""

    PRICE = "price"
    LOST_TO_COMPETITOR = "lost_to_competitor"
    NO_DECISION = "no_decision"
    REQUIREMENT_NOT_MET = "requirement_not_met"
    TIMELINE = "timeline"
    OTHER = "other"

    @property
    def label(self) -> str:
        return LOST_LABELS[self]


LOST_LABELS = {
    LostReason.PRICE: "Price",
    LostReason.LOST_TO_COMPETITOR: "Lost to a competitor",
    LostReason.NO_DECISION: "No decision or project cancelled",
    LostReason.REQUIREMENT_NOT_MET: "Customer requirement not met",
    LostReason.TIMELINE: "Timeline",
    LostReason.OTHER: "Other",
}


class Stage(StrEnum):
    """Sales stages (R-LIFE-7); SA deals show other names for the same steps (R-LIFE-8)."""

    CREATED = "created"
    ACCEPTED = "accepted"
    QUALIFIED = "qualified"
    DEVELOPED = "developed"
    PROPOSED = "proposed"
    NEGOTIATED = "negotiated"
    WON = "won"


class RegistrationStatus(StrEnum):
    INCOMPLETE = "incomplete"
    IN_REVIEW = "in_review"
    IN_VALIDATION = "in_validation"
    ACTION_REQUIRED = "action_required"
    APPROVED = "approved"
    REJECTED = "rejected"

    @property
    def final(self) -> bool:
        return self in (RegistrationStatus.APPROVED, RegistrationStatus.REJECTED)

    @property
    def label(self) -> str:
        return self.value.replace("_", " ").capitalize()


class ContractType(StrEnum):
    NEW = "new"
    RENEWAL = "renewal"


class DeployedOn(StrEnum):
    AZURE = "azure"
    OTHER = "other"


class DeployedWhere(StrEnum):
    CUSTOMER_TENANT = "customer_tenant"
    PARTNER_TENANT = "partner_tenant"


class CompanySize(StrEnum):
    SMALL = "1-49"
    MEDIUM = "50-999"
    LARGE = "1000-9999"
    ENTERPRISE = "10000+"


class NotificationKind(StrEnum):
    NEW_INBOUND = "new_inbound"
    INVITATION_ACCEPTED = "invitation_accepted"
    INVITATION_DECLINED = "invitation_declined"
    INVITATION_EXPIRED = "invitation_expired"
    EXPIRY_REMINDER = "expiry_reminder"
    REGISTRATION_ACTION_REQUIRED = "registration_action_required"
    REGISTRATION_APPROVED = "registration_approved"
    REGISTRATION_REJECTED = "registration_rejected"
