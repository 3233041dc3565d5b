"""Content models (child order, required elements, max lengths) of the supported requests.

Element order and ``maxLength`` values were read from Intuit's qbXML 13.0 schema
(``qbxml130.xsd``, copy in GitHub ``hotgluexyz/qbwc-common``, ``qbwc_common/qbd_xml_schemas/``):
CustomerAdd/Mod, AccountAdd, ItemServiceAdd, InvoiceAdd/Mod and InvoiceLineAdd/Mod,
CreditMemoAdd and CreditMemoLineAdd, ReceivePaymentAdd and AppliedToTxnAdd, SetCredit,
ARRefundCreditCardAdd and RefundAppliedToTxnAdd, JournalEntryAdd and its lines, HostRet.
Ref ``FullName`` limits follow the qbXML 13.0 ``maxLength`` of each list's name.

Not read from the XSD (it lives in ``qbxmlops130.xsd``/group definitions that were not
consulted) and therefore reconstructed from the qbXML OSR layout and the schema-validated
examples in plugins/qbd/tests/data/qbxml-examples/: the ``*QueryRq`` filter order, the
``PersonName``/``CommInfo``/address groups, ``TxnLineCorePriceLevelAdd``, and ``ItemServiceMod``
and ``ListDel`` (what a bookkeeper's "make inactive" and "delete" amount to). Query
alternatives (``ListID*`` | ``FullName*`` | filters) are flattened into one ordered sequence;
mixing them is refused by the handlers.
"""

from __future__ import annotations

from .conformance import del_types, void_types
from .schema import El, Kind, Slot, agg, choice, opt, ref, req
from .schema_facts import DECLARATIONS

ACTIVE_STATUS = ("ActiveOnly", "InactiveOnly", "All")
MATCH = ("StartsWith", "Contains", "EndsWith")
ACCOUNT_TYPES = (
    "AccountsPayable", "AccountsReceivable", "Bank", "CostOfGoodsSold", "CreditCard", "Equity",
    "Expense", "FixedAsset", "Income", "LongTermLiability", "NonPosting", "OtherAsset",
    "OtherCurrentAsset", "OtherCurrentLiability", "OtherExpense", "OtherIncome",
)
VOID_TYPES = void_types()  # the qbXML 13.0 TxnVoidType enumeration (no ReceivePayment)
DEL_TYPES = del_types()  # TxnDelType: ReceivePayment and SalesTaxPaymentCheck are here

MAX_REF = {  # FullName limits of refs
    "CustomerRef": 209, "ParentRef": 209, "EntityRef": 209, "ClassRef": 159,
    "AccountRef": 159, "ARAccountRef": 159, "DepositToAccountRef": 159,
    "RefundFromAccountRef": 159, "ItemRef": 159, "TermsRef": 31, "ItemSalesTaxRef": 31,
    "SalesTaxCodeRef": 3, "CustomerSalesTaxCodeRef": 3, "SalesRepRef": 5,
    "PaymentMethodRef": 31, "PriceLevelRef": 31, "CustomerMsgRef": 101, "ShipMethodRef": 15,
    "TemplateRef": 31, "CurrencyRef": 64, "CustomerTypeRef": 159, "JobTypeRef": 159,
    "DiscountAccountRef": 159, "DiscountClassRef": 159, "ItemGroupRef": 31,
    "PreferredPaymentMethodRef": 31, "OverrideItemAccountRef": 159, "IncomeAccountRef": 159,
    "TaxVendorRef": 41,
}


def r(name: str, *, required: bool = False, many: bool = False) -> Slot:
    return ref(name, MAX_REF[name], required=required, many=many)


def address(name: str) -> Slot:
    return agg(name, opt("Addr1", max_len=41), opt("Addr2", max_len=41), opt("Addr3", max_len=41),
               opt("Addr4", max_len=41), opt("Addr5", max_len=41), opt("City", max_len=31),
               opt("State", max_len=21), opt("PostalCode", max_len=13),
               opt("Country", max_len=31), opt("Note", max_len=41))


INCLUDE_RET = opt("IncludeRetElement", max_len=50, many=True)
OWNER_ID = opt("OwnerID", many=True)
LIST_CORE_MOD = (req("ListID", "id"), req("EditSequence", max_len=16))
TXN_CORE_MOD = (req("TxnID", "id"), req("EditSequence", max_len=16))
PERSON_NAME = (opt("Salutation", max_len=15), opt("FirstName", max_len=25),
               opt("MiddleName", max_len=5), opt("LastName", max_len=25))
COMM_INFO = (opt("Phone", max_len=21), opt("Mobile", max_len=21), opt("Pager", max_len=21),
             opt("AltPhone", max_len=21), opt("Fax", max_len=21), opt("Email", max_len=1023),
             opt("Cc", max_len=1023), opt("Contact", max_len=41), opt("AltContact", max_len=41))

_CUSTOMER_MIDDLE = (
    opt("IsActive", "bool"), r("ClassRef"), r("ParentRef"), opt("CompanyName", max_len=41),
    *PERSON_NAME, opt("JobTitle", max_len=41), address("BillAddress"), address("ShipAddress"),
    opt("PrintAs", max_len=41), *COMM_INFO, r("CustomerTypeRef"), r("TermsRef"),
    r("SalesRepRef"),
)
_CUSTOMER_TAIL = (
    r("SalesTaxCodeRef"), r("ItemSalesTaxRef"), opt("SalesTaxCountry", "enum"),
    opt("ResaleNumber", max_len=15), opt("AccountNumber", max_len=99), opt("CreditLimit", "amt"),
    r("PreferredPaymentMethodRef"), opt("JobStatus", "enum"), opt("JobStartDate", "date"),
    opt("JobProjectedEndDate", "date"), opt("JobEndDate", "date"), opt("JobDesc", max_len=99),
    r("JobTypeRef"), opt("Notes", max_len=4095), opt("IsStatementWithParent", "bool"),
    opt("DeliveryMethod", "enum"), opt("PreferredDeliveryMethod", "enum"), r("PriceLevelRef"),
)
CUSTOMER_ADD = (req("Name", max_len=41), *_CUSTOMER_MIDDLE, opt("OpenBalance", "amt"),
                opt("OpenBalanceDate", "date"), *_CUSTOMER_TAIL, opt("ExternalGUID"),
                opt("TaxRegistrationNumber", max_len=30), r("CurrencyRef"))
CUSTOMER_MOD = (*LIST_CORE_MOD, opt("Name", max_len=41), *_CUSTOMER_MIDDLE, *_CUSTOMER_TAIL,
                opt("TaxRegistrationNumber", max_len=30), r("CurrencyRef"))

_LINE_CORE = (  # TxnLineCorePriceLevelAdd
    r("ItemRef"), opt("Desc", max_len=4095), opt("Quantity", "qty"),
    opt("UnitOfMeasure", max_len=31),
    choice(El("Rate", "amt"), El("RatePercent", "amt"), r("PriceLevelRef")),
    r("ClassRef"), opt("Amount", "amt"), opt("TaxAmount", "amt"),
)
_LINE_TAIL = (opt("ServiceDate", "date"), r("SalesTaxCodeRef"), opt("IsTaxable", "bool"),
              r("OverrideItemAccountRef"), opt("Other1", max_len=29), opt("Other2", max_len=29))
INVOICE_LINE_ADD = agg("InvoiceLineAdd", *_LINE_CORE, opt("OptionForPriceRuleConflict", "enum"),
                       *_LINE_TAIL, agg("LinkToTxn", req("TxnID", "id"), req("TxnLineID", "id")))
INVOICE_LINE_MOD = agg("InvoiceLineMod", req("TxnLineID", "id"), *_LINE_CORE,
                       opt("OptionForPriceRuleConflict", "enum"), opt("ServiceDate", "date"),
                       r("SalesTaxCodeRef"), r("OverrideItemAccountRef"),
                       opt("Other1", max_len=29), opt("Other2", max_len=29))
CREDIT_MEMO_LINE_ADD = agg("CreditMemoLineAdd", *_LINE_CORE, *_LINE_TAIL)
SET_CREDIT = agg("SetCredit", req("CreditTxnID", "id"), opt("TxnLineID", "id"),
                 req("AppliedAmount", "amt"), opt("Override", "bool"), many=True)

_SALES_HEAD = (r("ClassRef"), r("ARAccountRef"), r("TemplateRef"), opt("TxnDate", "date"),
               opt("RefNumber", max_len=11), address("BillAddress"), address("ShipAddress"),
               opt("IsPending", "bool"))
_SALES_MID = (opt("PONumber", max_len=25), r("TermsRef"), opt("DueDate", "date"),
              r("SalesRepRef"), opt("FOB", max_len=13), opt("ShipDate", "date"),
              r("ShipMethodRef"), r("ItemSalesTaxRef"), opt("Memo", max_len=4095),
              r("CustomerMsgRef"), opt("IsToBePrinted", "bool"), opt("IsToBeEmailed", "bool"),
              opt("IsTaxIncluded", "bool"), r("CustomerSalesTaxCodeRef"),
              opt("Other", max_len=29), opt("ExchangeRate", "amt"))
INVOICE_ADD = (r("CustomerRef", required=True), *_SALES_HEAD, opt("IsFinanceCharge", "bool"),
               *_SALES_MID, opt("ExternalGUID"), opt("LinkToTxnID", "id", many=True), SET_CREDIT,
               choice(INVOICE_LINE_ADD, agg("InvoiceLineGroupAdd", r("ItemGroupRef")), many=True),
               agg("DiscountLineAdd"), agg("SalesTaxLineAdd"), agg("ShippingLineAdd"))
INVOICE_MOD = (*TXN_CORE_MOD, r("CustomerRef"), *_SALES_HEAD, *_SALES_MID, SET_CREDIT,
               choice(INVOICE_LINE_MOD, many=True))
CREDIT_MEMO_ADD = (r("CustomerRef", required=True), *_SALES_HEAD, *_SALES_MID,
                   opt("ExternalGUID"), choice(CREDIT_MEMO_LINE_ADD, required=True, many=True))

RECEIVE_PAYMENT_ADD = (
    r("CustomerRef", required=True), r("ARAccountRef"), opt("TxnDate", "date"),
    opt("RefNumber", max_len=20), opt("TotalAmount", "amt"), opt("ExchangeRate", "amt"),
    r("PaymentMethodRef"), opt("Memo", max_len=4095), r("DepositToAccountRef"),
    agg("CreditCardTxnInfo"), opt("ExternalGUID"),
    choice(El("IsAutoApply", "bool"),
           El("AppliedToTxnAdd", "agg", slots=(
               req("TxnID", "id"), opt("PaymentAmount", "amt"),
               agg("TxnLineDetail", req("TxnLineID", "id"), req("Amount", "amt"), many=True),
               SET_CREDIT, opt("DiscountAmount", "amt"), r("DiscountAccountRef"),
               r("DiscountClassRef"))),
           required=True, many=True),
)
AR_REFUND_ADD = (
    r("CustomerRef", required=True), r("RefundFromAccountRef"), r("ARAccountRef"),
    opt("TxnDate", "date"), opt("RefNumber", max_len=11), address("Address"),
    r("PaymentMethodRef"), opt("Memo", max_len=4095), agg("CreditCardTxnInfo"),
    opt("ExchangeRate", "amt"), opt("ExternalGUID"),
    agg("RefundAppliedToTxnAdd", req("TxnID", "id"), req("RefundAmount", "amt"),
        required=True, many=True),
)
_JOURNAL_LINE = (opt("TxnLineID", "id"), r("AccountRef"), opt("Amount", "amt"),
                 opt("TaxAmount", "amt"), opt("Memo", max_len=4095), r("EntityRef"),
                 r("ClassRef"), r("ItemSalesTaxRef"), opt("BillableStatus", "enum"))
JOURNAL_ENTRY_ADD = (
    opt("TxnDate", "date"), opt("RefNumber", max_len=11), opt("Memo", max_len=4095),
    opt("IsAdjustment", "bool"),
    choice(El("IsHomeCurrencyAdjustment", "bool"), r("CurrencyRef")), opt("ExchangeRate", "amt"),
    opt("ExternalGUID"),
    choice(El("JournalDebitLine", "agg", slots=_JOURNAL_LINE),
           El("JournalCreditLine", "agg", slots=_JOURNAL_LINE), required=True, many=True),
)
ACCOUNT_ADD = (req("Name", max_len=31), opt("IsActive", "bool"), r("ParentRef"),
               req("AccountType", "enum", enum=ACCOUNT_TYPES), opt("DetailAccountType", "enum"),
               opt("AccountNumber", max_len=7), opt("BankNumber", max_len=25),
               opt("Desc", max_len=200), opt("OpenBalance", "amt"), opt("OpenBalanceDate", "date"),
               r("SalesTaxCodeRef"), opt("TaxLineID", "int"), r("CurrencyRef"))
_SALES_OR_PURCHASE = El("SalesOrPurchase", "agg", slots=(
    opt("Desc", max_len=4095), choice(El("Price", "amt"), El("PricePercent", "amt")),
    r("AccountRef")))
_SALES_AND_PURCHASE = El("SalesAndPurchase", "agg", slots=(
    opt("SalesDesc", max_len=4095), opt("SalesPrice", "amt"), r("IncomeAccountRef"),
    opt("PurchaseDesc", max_len=4095), opt("PurchaseCost", "amt")))
ITEM_SERVICE_ADD = (req("Name", max_len=31), agg("BarCode"), opt("IsActive", "bool"),
                    r("ClassRef"), r("ParentRef"), agg("UnitOfMeasureSetRef"),
                    opt("IsTaxIncluded", "bool"), r("SalesTaxCodeRef"),
                    choice(_SALES_OR_PURCHASE, _SALES_AND_PURCHASE, required=True),
                    opt("ExternalGUID"))
_SALES_OR_PURCHASE_MOD = El("SalesOrPurchaseMod", "agg", slots=(
    opt("Desc", max_len=4095), choice(El("Price", "amt"), El("PricePercent", "amt")),
    r("AccountRef"), opt("ApplyAccountRefToExistingTxns", "bool")))
_SALES_AND_PURCHASE_MOD = El("SalesAndPurchaseMod", "agg", slots=(
    opt("SalesDesc", max_len=4095), opt("SalesPrice", "amt"), r("IncomeAccountRef"),
    opt("ApplyIncomeAccountRefToExistingTxns", "bool"), opt("PurchaseDesc", max_len=4095),
    opt("PurchaseCost", "amt")))
ITEM_SERVICE_MOD = (*LIST_CORE_MOD, opt("Name", max_len=31), agg("BarCode"),
                    opt("IsActive", "bool"), r("ClassRef"), r("ParentRef"),
                    agg("UnitOfMeasureSetRef"), opt("ForceUOMChange", "bool"),
                    opt("IsTaxIncluded", "bool"), r("SalesTaxCodeRef"),
                    choice(_SALES_OR_PURCHASE_MOD, _SALES_AND_PURCHASE_MOD))
LIST_DEL_TYPES = (
    "Account", "BillingRate", "Class", "Currency", "Customer", "CustomerMsg", "CustomerType",
    "DateDrivenTerms", "Employee", "InventorySite", "ItemDiscount", "ItemFixedAsset",
    "ItemGroup", "ItemInventory", "ItemInventoryAssembly", "ItemNonInventory",
    "ItemOtherCharge", "ItemPayment", "ItemSalesTax", "ItemSalesTaxGroup", "ItemService",
    "ItemSubtotal", "JobType", "OtherName", "PaymentMethod", "PayrollItemNonWage",
    "PayrollItemWage", "PriceLevel", "SalesRep", "SalesTaxCode", "ShipMethod", "StandardTerms",
    "ToDo", "UnitOfMeasureSet", "Vehicle", "Vendor", "VendorType", "WorkersCompCode")

_NAME_FILTERS = (
    choice(El("NameFilter", "agg", slots=(req("MatchCriterion", "enum", enum=MATCH),
                                          req("Name"))),
           El("NameRangeFilter", "agg", slots=(opt("FromName"), opt("ToName")))),
)
_LIST_QUERY_HEAD = (opt("ListID", "id", many=True), opt("FullName", max_len=209, many=True),
                    opt("MaxReturned", "int"), opt("ActiveStatus", "enum", enum=ACTIVE_STATUS),
                    opt("FromModifiedDate", "datetime"), opt("ToModifiedDate", "datetime"),
                    *_NAME_FILTERS)
LIST_QUERY = (*_LIST_QUERY_HEAD, INCLUDE_RET, OWNER_ID)
#: SalesTaxCode, StandardTerms and PaymentMethod queries take no OwnerID (qbXML 13.0).
PLAIN_LIST_QUERY = (*_LIST_QUERY_HEAD, INCLUDE_RET)
PAYMENT_METHOD_QUERY = (*_LIST_QUERY_HEAD, opt("PaymentMethodType", "enum"), INCLUDE_RET)
CUSTOMER_QUERY = (*_LIST_QUERY_HEAD, agg("TotalBalanceFilter"), agg("CurrencyFilter"),
                  agg("ClassFilter"), INCLUDE_RET, OWNER_ID)
ACCOUNT_QUERY = (*_LIST_QUERY_HEAD, opt("AccountType", "enum", enum=ACCOUNT_TYPES),
                 agg("CurrencyFilter"), INCLUDE_RET, OWNER_ID)
_DATE_RANGE = choice(
    El("ModifiedDateRangeFilter", "agg", slots=(opt("FromModifiedDate", "datetime"),
                                                opt("ToModifiedDate", "datetime"))),
    El("TxnDateRangeFilter", "agg", slots=(opt("FromTxnDate", "date"), opt("ToTxnDate", "date"),
                                           opt("DateMacro", "enum"))))
_REF_FILTER = choice(
    El("RefNumberFilter", "agg", slots=(req("MatchCriterion", "enum", enum=MATCH),
                                        req("RefNumber"))),
    El("RefNumberRangeFilter", "agg", slots=(opt("FromRefNumber"), opt("ToRefNumber"))))
_ENTITY_FILTER = agg("EntityFilter", opt("ListID", "id", many=True),
                     opt("FullName", max_len=209, many=True), opt("ListIDWithChildren", "id"),
                     opt("FullNameWithChildren"))


def txn_query(*, paid_status: bool = False, linked: bool = False) -> tuple[Slot, ...]:
    paid = (opt("PaidStatus", "enum", enum=("All", "PaidOnly", "NotPaidOnly")),) if paid_status \
        else ()
    return (opt("TxnID", "id", many=True), opt("RefNumber", many=True),
            opt("RefNumberCaseSensitive", many=True), opt("MaxReturned", "int"), _DATE_RANGE,
            _ENTITY_FILTER, agg("AccountFilter"), _REF_FILTER, agg("CurrencyFilter"), *paid,
            opt("IncludeLineItems", "bool"),
            *((opt("IncludeLinkedTxns", "bool"),) if linked else ()), INCLUDE_RET, OWNER_ID)


_KINDS: dict[str, Kind] = {"id": "id", "str": "str", "bool": "bool", "date": "date",
                           "datetime": "datetime", "amt": "amt", "price": "qty", "qty": "qty",
                           "percent": "qty", "enum": "enum", "int": "int", "guid": "str"}


def from_facts(key: str) -> tuple[Slot, ...]:
    """Value rules (kinds, lengths, enumerations) of a request straight from the schema facts,
    for requests without a hand-written spec. Order and occurrences are not repeated here:
    :mod:`.conformance` checks them before this runs, so each level is one repeatable choice."""
    decl = DECLARATIONS[key]
    names: dict[str, str] = {}
    stack = [decl[1]]
    while stack:
        part = stack.pop()
        if part[0] == "el":
            names.setdefault(part[3], part[4])
        else:
            stack.extend(part[3])
    options = []
    for name, child_key in sorted(names.items()):
        child = DECLARATIONS[child_key]
        if child[0] == "complex":
            options.append(El(name, "agg", slots=from_facts(child_key)))
        else:
            options.append(El(name, _KINDS.get(child[1], "str"), child[2], enum=child[3]))
    return (Slot(tuple(options), many=True),) if options else ()


def add_rq(wrapper: str, slots: tuple[Slot, ...]) -> tuple[Slot, ...]:
    return (agg(wrapper, *slots, required=True), INCLUDE_RET)


REQUEST_SPECS: dict[str, tuple[Slot, ...]] = {
    "CustomerAddRq": add_rq("CustomerAdd", CUSTOMER_ADD),
    "CustomerModRq": add_rq("CustomerMod", CUSTOMER_MOD),
    "CustomerQueryRq": CUSTOMER_QUERY,
    "InvoiceAddRq": add_rq("InvoiceAdd", INVOICE_ADD),
    "InvoiceModRq": add_rq("InvoiceMod", INVOICE_MOD),
    "InvoiceQueryRq": txn_query(paid_status=True, linked=True),
    "ReceivePaymentAddRq": add_rq("ReceivePaymentAdd", RECEIVE_PAYMENT_ADD),
    "ReceivePaymentQueryRq": txn_query(),
    "CreditMemoAddRq": add_rq("CreditMemoAdd", CREDIT_MEMO_ADD),
    "CreditMemoQueryRq": txn_query(linked=True),
    "ARRefundCreditCardAddRq": add_rq("ARRefundCreditCardAdd", AR_REFUND_ADD),
    "ARRefundCreditCardQueryRq": txn_query(),
    "JournalEntryAddRq": add_rq("JournalEntryAdd", JOURNAL_ENTRY_ADD),
    "JournalEntryQueryRq": txn_query(),
    "TxnVoidRq": (req("TxnVoidType", "enum", enum=VOID_TYPES), req("TxnID", "id")),
    "TxnDelRq": (req("TxnDelType", "enum", enum=DEL_TYPES), req("TxnID", "id")),
    "AccountAddRq": add_rq("AccountAdd", ACCOUNT_ADD),
    "AccountQueryRq": ACCOUNT_QUERY,
    "ItemServiceAddRq": add_rq("ItemServiceAdd", ITEM_SERVICE_ADD),
    "ItemServiceModRq": add_rq("ItemServiceMod", ITEM_SERVICE_MOD),
    "ListDelRq": (req("ListDelType", "enum", enum=LIST_DEL_TYPES), req("ListID", "id")),
    "ItemQueryRq": LIST_QUERY,
    "ItemServiceQueryRq": LIST_QUERY,
    "ItemNonInventoryQueryRq": LIST_QUERY,
    "ItemOtherChargeQueryRq": LIST_QUERY,
    "ItemSalesTaxQueryRq": LIST_QUERY,
    "SalesTaxCodeQueryRq": PLAIN_LIST_QUERY,
    "StandardTermsQueryRq": PLAIN_LIST_QUERY,
    "PaymentMethodQueryRq": PAYMENT_METHOD_QUERY,
    "HostQueryRq": (INCLUDE_RET,),
    "CompanyQueryRq": (INCLUDE_RET, OWNER_ID),
    **{name: from_facts(name) for name in ("CreditMemoModRq", "ReceivePaymentModRq",
                                           "JournalEntryModRq", "CheckAddRq", "CheckQueryRq",
                                           "TxnDeletedQueryRq", "ListDeletedQueryRq",
                                           "GeneralSummaryReportQueryRq")},
}

QUERY_FILTER_NAMES = frozenset({
    "MaxReturned", "ActiveStatus", "FromModifiedDate", "ToModifiedDate", "NameFilter",
    "NameRangeFilter", "TotalBalanceFilter", "CurrencyFilter", "ClassFilter", "AccountType",
    "ModifiedDateRangeFilter", "TxnDateRangeFilter", "EntityFilter", "AccountFilter",
    "RefNumberFilter", "RefNumberRangeFilter", "PaidStatus",
})
