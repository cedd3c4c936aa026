"""CSV and XLSX downloads of the CFO report: they open (csv, openpyxl), hold the page's figures as
numbers, format money with the currency, freeze the header row, size the columns, refuse bad
parameters, respect who may see what, neutralise formulas, and cost a constant number of queries."""

import csv
import datetime
import io
from decimal import Decimal

import openpyxl
import pytest
import time_machine

from portfolio import exports
from tests.conftest import make_use_case
from tests.portfolio.test_dashboard import add_month, add_week, count_queries, populate
from usecases.models import Stage, UseCase

NOW = datetime.datetime(2026, 11, 25, 12, tzinfo=datetime.UTC)
URL = "/reports/cfo/export/"
PAGE = "/reports/cfo/"
FIGURES = ("gross_efficiency", "absorption_cost", "net_value", "translation_gap")


@pytest.fixture(autouse=True)
def frozen():
    with time_machine.travel(NOW, tick=False):
        yield


@pytest.fixture
def data(use_case, other_use_case, owner):
    add_week(use_case, "2026-W32")
    add_week(use_case, "2026-W40", tasks_with_ai=777, minutes_saved_per_task=Decimal("3.33"))
    add_month(use_case, "2026-09")
    add_week(other_use_case, "2026-W36")
    add_month(other_use_case, "2026-10", integration_cost=Decimal("12345.67"))
    scaled = make_use_case(
        name="Scaled one",
        owner=owner,
        stage=Stage.SCALED,
        business_unit="Finance",
        scaled_on=datetime.date(2026, 7, 1),
    )
    for month in ("2026-07", "2026-08", "2026-09"):
        add_month(scaled, month)
    add_week(scaled, "2026-W28")
    return use_case, other_use_case, scaled


def cents(value) -> Decimal:
    return Decimal(value).quantize(Decimal("0.01"))


def read_csv(response) -> list[dict]:
    assert response["Content-Type"] == "text/csv; charset=utf-8"
    return list(csv.DictReader(io.StringIO(response.content.decode())))


def read_xlsx(response, data_only=False):
    assert response["Content-Type"] == exports.XLSX_CONTENT_TYPE
    return openpyxl.load_workbook(io.BytesIO(response.content), data_only=data_only)


def sheet_rows(sheet) -> list[dict]:
    rows = list(sheet.iter_rows(values_only=True))
    header = rows[0]
    return [dict(zip(header, row, strict=True)) for row in rows[1:]]


# --- CSV ----------------------------------------------------------------------------------------


def test_csv_by_use_case_matches_the_page(client_for, pmo, data):
    client = client_for(pmo)
    report = client.get(PAGE).context["report"]
    response = client.get(URL, {"format": "csv", "table": "use_case"})
    assert response.status_code == 200
    assert (
        response["Content-Disposition"]
        == 'attachment; filename="cfo-report-use-case-2026-08_2026-10.csv"'
    )
    rows = read_csv(response)
    assert list(rows[0]) == [
        "use_case_id",
        "use_case",
        "business_unit",
        "stage",
        *FIGURES,
        "currency",
    ]
    assert [r["use_case"] for r in rows] == [line.use_case.name for line in report.by_use_case]
    for row, line in zip(rows, report.by_use_case, strict=True):
        assert int(row["use_case_id"]) == line.use_case.pk
        assert row["currency"] == "EUR"
        for name in FIGURES:
            assert Decimal(row[name]) == cents(getattr(line.figures, name)), name
            assert row[name] == f"{cents(getattr(line.figures, name)):.2f}"  # plain number


@pytest.mark.parametrize("table", ["business_unit", "month", "ninety_days"])
def test_csv_other_tables(client_for, leader, data, table):
    client = client_for(leader)
    report = client.get(PAGE).context["report"]
    rows = read_csv(client.get(URL, {"format": "csv", "table": table}))
    if table == "business_unit":
        assert [(r["business_unit"], int(r["use_cases"])) for r in rows] == [
            (line.business_unit, line.use_case_count) for line in report.by_business_unit
        ]
        assert Decimal(rows[1]["net_value"]) == cents(report.by_business_unit[1].figures.net_value)
    elif table == "month":
        assert [r["month"] for r in rows] == ["2026-08", "2026-09", "2026-10"]
        for row, line in zip(rows, report.by_month, strict=True):
            for name in FIGURES:
                assert Decimal(row[name]) == cents(getattr(line.figures, name))
    else:
        (row,) = rows
        (line,) = report.ninety_days
        assert row["use_case"] == "Scaled one" and row["status"] == "complete"
        assert (row["scaled_on"], row["first_month"], row["last_month"]) == (
            "2026-07-01",
            "2026-07",
            "2026-09",
        )
        assert row["months_available"] == "3"
        assert Decimal(row["net_value_90_days"]) == cents(line.value)


def test_csv_range_and_default_table(client_for, pmo, data):
    client = client_for(pmo)
    report = client.get(PAGE, {"start": "2026-07", "end": "2026-07"}).context["report"]
    rows = read_csv(client.get(URL, {"start": "2026-07", "end": "2026-07"}))  # csv, use_case
    assert "use_case_id" in rows[0]
    by_name = {r["use_case"]: r for r in rows}
    scaled_line = next(line for line in report.by_use_case if line.use_case.name == "Scaled one")
    assert Decimal(by_name["Scaled one"]["net_value"]) == cents(scaled_line.figures.net_value)


def test_csv_neutralises_formulas(client_for, pmo, owner):
    make_use_case(name='=HYPERLINK("http://evil")', owner=owner, business_unit="+Sales")
    rows = read_csv(client_for(pmo).get(URL, {"format": "csv"}))
    assert rows[0]["use_case"] == '\'=HYPERLINK("http://evil")'
    assert rows[0]["business_unit"] == "'+Sales"


# --- XLSX ---------------------------------------------------------------------------------------


def test_xlsx_opens_and_matches_the_page(client_for, pmo, data):
    client = client_for(pmo)
    report = client.get(PAGE).context["report"]
    response = client.get(URL, {"format": "xlsx"})
    assert response.status_code == 200
    assert (
        response["Content-Disposition"] == 'attachment; filename="cfo-report-2026-08_2026-10.xlsx"'
    )
    book = read_xlsx(response)
    assert book.sheetnames == [
        "By use case",
        "By business unit",
        "By month",
        "90 days at scale",
        "About",
    ]
    sheet = book["By use case"]
    rows = sheet_rows(sheet)
    *lines, total = rows
    assert [r["Use case"] for r in lines] == [line.use_case.name for line in report.by_use_case]
    headers = ("Gross efficiency", "Absorption cost", "Net value", "Translation gap")
    for row, line in zip(lines, report.by_use_case, strict=True):
        assert row["ID"] == line.use_case.pk
        for header, name in zip(headers, FIGURES, strict=True):
            assert isinstance(row[header], (int, float)), "numbers as numbers"
            assert cents(str(row[header])) == cents(getattr(line.figures, name))
    assert total["Use case"] == "Total"
    # Totals are SUM formulas over the rows, with the value cached for viewers that do not
    # calculate; that value is the page's total and the sum of the rows as exported.
    last = len(lines) + 1
    assert total["Net value"] == f"=SUM(G2:G{last})"
    assert total["Gross efficiency"] == f"=SUM(E2:E{last})"
    *cached_lines, cached = sheet_rows(read_xlsx(response, data_only=True)["By use case"])
    for header, name in zip(headers, FIGURES, strict=True):
        column = [Decimal(str(row[header])) for row in cached_lines]
        assert Decimal(str(cached[header])) == sum(column) == getattr(report.total, name)
    # The header row is bold and frozen, money is formatted with the currency, widths fit.
    assert sheet.freeze_panes == "A2"
    assert sheet["A1"].font.bold and not sheet["B2"].font.bold
    assert sheet[f"B{sheet.max_row}"].font.bold  # the total row
    assert sheet["G2"].number_format == '"EUR" #,##0.00;-"EUR" #,##0.00'
    assert sheet.column_dimensions["B"].width >= len("Customer-response assistant")
    assert sheet.column_dimensions["G"].width >= len("EUR 0.00")


def test_xlsx_months_units_and_ninety_days(client_for, leader, data):
    client = client_for(leader)
    report = client.get(PAGE).context["report"]
    book = read_xlsx(client.get(URL, {"format": "xlsx"}))
    *months, total = sheet_rows(book["By month"])
    assert [m["Month"] for m in months] == [
        datetime.datetime(2026, 8, 1),
        datetime.datetime(2026, 9, 1),
        datetime.datetime(2026, 10, 1),
    ]
    assert book["By month"]["A2"].number_format == "yyyy-mm"
    for row, line in zip(months, report.by_month, strict=True):
        assert cents(str(row["Net value"])) == cents(line.figures.net_value)
    *units, _ = sheet_rows(book["By business unit"])
    assert [(u["Business unit"], u["Use cases"]) for u in units] == [
        (line.business_unit, line.use_case_count) for line in report.by_business_unit
    ]
    (ninety,) = sheet_rows(book["90 days at scale"])
    assert ninety["Status"] == "complete" and ninety["Months with a monthly review"] == 3
    assert cents(str(ninety["Net value after 90 days"])) == cents(report.ninety_days[0].value)
    assert ninety["Scaled on"] == datetime.datetime(2026, 7, 1)
    about = book["About"]
    assert about["B4"].value == "EUR"
    assert about["B2"].value == datetime.datetime(2026, 8, 1)


def test_xlsx_of_an_empty_portfolio(client_for, pmo):
    book = read_xlsx(client_for(pmo).get(URL, {"format": "xlsx"}))
    rows = sheet_rows(book["By use case"])
    assert rows == [
        {
            "ID": None,
            "Use case": "Total",
            "Business unit": None,
            "Stage": None,
            "Gross efficiency": 0,
            "Absorption cost": 0,
            "Net value": 0,
            "Translation gap": 0,
        }
    ]
    assert sheet_rows(book["90 days at scale"]) == []
    assert read_csv(client_for(pmo).get(URL, {"format": "csv"})) == []


def test_currency_follows_the_installation(client_for, pmo, data, settings):
    settings.VALUEGATE_CURRENCY = "CHF"
    client = client_for(pmo)
    book = read_xlsx(client.get(URL, {"format": "xlsx"}))
    assert book["By use case"]["G2"].number_format == '"CHF" #,##0.00;-"CHF" #,##0.00'
    assert read_csv(client.get(URL, {"format": "csv"}))[0]["currency"] == "CHF"
    assert "CHF " in client.get(PAGE).content.decode()


# --- parameters and access ----------------------------------------------------------------------


@pytest.mark.parametrize(
    "params",
    [
        {"format": "pdf"},
        {"format": "csv", "table": "everything"},
        {"format": "csv", "start": "2026-13"},
        {"format": "xlsx", "start": "2026-10", "end": "2026-01"},
    ],
)
def test_bad_parameters_are_400(client_for, pmo, params):
    assert client_for(pmo).get(URL, params).status_code == 400


def test_anonymous_is_sent_to_login(client, db):
    response = client.get(URL, {"format": "xlsx"})
    assert response.status_code == 302
    assert response["Location"].startswith("/accounts/login/?next=/reports/cfo/export/")


@pytest.mark.parametrize("fmt", ["csv", "xlsx"])
def test_outsider_gets_403(client_for, role_users, fmt):
    assert client_for(role_users["outsider"]).get(URL, {"format": fmt}).status_code == 403


@pytest.mark.parametrize("role", ["owner", "other_owner", "leader", "pmo", "admin"])
def test_portfolio_readers_export_everything(client_for, role_users, data, role):
    client = client_for(role_users[role])
    names = {r["use_case"] for r in read_csv(client.get(URL, {"format": "csv"}))}
    assert names == {uc.name for uc in data}
    book = read_xlsx(client.get(URL, {"format": "xlsx"}))
    assert len(sheet_rows(book["By use case"])) == 4  # three use cases and the total


def test_contributor_exports_only_their_use_case(client_for, role_users, data):
    use_case = data[0]
    client = client_for(role_users["contributor"])
    rows = read_csv(client.get(URL, {"format": "csv"}))
    assert [r["use_case"] for r in rows] == [use_case.name]
    book = read_xlsx(client.get(URL, {"format": "xlsx"}))
    assert [r["Use case"] for r in sheet_rows(book["By use case"])] == [use_case.name, "Total"]
    assert sheet_rows(book["90 days at scale"]) == []
    units = [r["Business unit"] for r in sheet_rows(book["By business unit"])]
    assert units == ["Customer Service", "Total"]


@pytest.mark.parametrize("role", ["owner", "contributor", "pmo"])
def test_constant_queries_for_1_vs_40_use_cases(client_for, role_users, role):
    owner, contributor = role_users["owner"], role_users["contributor"]
    client = client_for(role_users[role])
    populate(1, owner=owner, contributor=contributor, start=1)
    urls = [f"{URL}?format=xlsx", f"{URL}?format=csv&table=month", f"{URL}?format=csv"]
    before = [count_queries(client, url) for url in urls]
    populate(39, owner=owner, contributor=contributor, start=2)
    assert [count_queries(client, url) for url in urls] == before


def test_xlsx_with_a_control_character_in_a_name_saved_before_names_were_checked(
    client_for, pmo, owner
):
    """openpyxl refuses most control characters: they become spaces instead of a 500."""
    use_case = make_use_case(name="Vertical tab", owner=owner, business_unit="Sales\x0bEMEA")
    UseCase.objects.filter(pk=use_case.pk).update(name="Vertical\x0btab")
    response = client_for(pmo).get(URL, {"format": "xlsx"})
    assert response.status_code == 200
    rows = sheet_rows(read_xlsx(response)["By use case"])
    assert rows[0]["Use case"] == "Vertical tab"
    csv_rows = read_csv(client_for(pmo).get(URL, {"format": "csv"}))
    assert csv_rows[0]["business_unit"] == "Sales EMEA"
