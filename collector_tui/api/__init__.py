"""API v1: the contract between the client (`sync/`) and the reference server (`server/`).

Pydantic models only; this package imports neither side. Clients ignore fields they do not know; a missing
or mistyped field is a clear error. Use the models module-qualified (`from collector_tui import api`, then
`api.Case`) where a name would be mistaken for a stored row of the same name.
"""

from collector_tui.api.accounts import Me, Targets, Token
from collector_tui.api.base import ApiModel, Money
from collector_tui.api.cases import (
    Address,
    Bureau,
    Callback,
    Case,
    CasesPage,
    Consents,
    Contact,
    ContactChange,
    Customer,
    DeferralRequest,
    Email,
    EmergencyContact,
    Employment,
    IncomeMonth,
    Loan,
    Message,
    Payment,
    Phone,
    Plan,
    Promise,
    ScheduleItem,
    SpendingMonth,
    Student,
    Suppression,
    Tombstone,
)
from collector_tui.api.mutations import Error, ErrorDetail, Mutation, MutationBatch, MutationResult, MutationResults
from collector_tui.api.team_stats import TeamCase, TeamCollector, TeamContact, TeamStats

__all__ = [
    "Address", "ApiModel", "Bureau", "Callback", "Case", "CasesPage", "Consents", "Contact", "ContactChange",
    "Customer", "DeferralRequest", "Email", "EmergencyContact", "Employment", "Error", "ErrorDetail", "IncomeMonth",
    "Loan", "Me", "Message", "Money", "Mutation", "MutationBatch", "MutationResult", "MutationResults", "Payment",
    "Phone", "Plan", "Promise", "ScheduleItem", "SpendingMonth", "Student", "Suppression", "Targets", "TeamCase",
    "TeamCollector", "TeamContact", "TeamStats", "Tombstone", "Token",
]
