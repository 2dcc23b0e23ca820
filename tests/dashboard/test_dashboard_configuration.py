"""The Configuration tab: the form made from the rule sets' settings schemas, a save stored as
a version (who, when, what) and used by the next pass, the difference a version made, Reset
VAT settings, problems shown at their field, and the same 404/403 as every other shop form."""

from __future__ import annotations

import re
from pathlib import Path

from mapper.engine.ledger.tenant_settings import SettingsVersions
from mapper.engine.sync.config import with_stored

from .dashboard_helpers import BOB, Setup, csrf_of, dashboard, log_in

FORM = "/shops/alpha/configuration"


def form_of(html: str, action: str = FORM) -> dict[str, str]:
    """The Configuration form's fields as a browser would send them (checked boxes only)."""
    form = html.split(f'action="{action}"', 1)[1].split("</form>", 1)[0]
    fields: dict[str, str] = {}
    for tag in re.findall(r"<input[^>]*>", form):
        name = re.search(r'name="([^"]+)"', tag)
        if name is None:
            continue
        if 'type="checkbox"' in tag:
            if " checked" in tag:
                fields[name.group(1)] = "on"
            continue
        value = re.search(r'value="([^"]*)"', tag)
        fields[name.group(1)] = value.group(1) if value else ""
    for name, body in re.findall(r'<select name="([^"]+)"[^>]*>(.*?)</select>', form, re.S):
        chosen = re.search(r'<option value="([^"]*)" selected>', body)
        fields[name] = chosen.group(1) if chosen else ""
    return {k: v.replace("&#34;", '"').replace("&#39;", "'") for k, v in fields.items()}


def row_of(fields: dict[str, str], rate: str, scheme: str = "domestic") -> str:
    """The form prefix of the vat_codes row of `scheme` and `rate`."""
    for key, value in fields.items():
        found = re.fullmatch(r"(yuki\.vat_codes\.\d+)\.rate", key)
        if found and value == rate and fields[f"{found.group(1)}.scheme"] == scheme:
            return found.group(1)
    raise AssertionError(f"no vat_codes row {scheme} {rate}")


def opened(s: Setup) -> tuple[str, dict[str, str]]:
    page = s.client.get(FORM)
    assert page.status_code == 200, page.text
    return page.text, form_of(page.text)


def test_the_form_is_made_from_both_rule_sets_settings_schemas(tmp_path: Path) -> None:
    with dashboard(tmp_path) as s:
        log_in(s.client)
        html, fields = opened(s)
        # prestashop: a list of states; yuki: a checkbox, an enum, the VAT table, a group
        assert fields["prestashop.invoice_states"] == "2, 3, 4, 5, 9, 12"
        assert "yuki.process" not in fields  # concept invoices: the box is not ticked
        assert 'name="yuki.process"' in html
        assert fields["yuki.reference"] == "order_number"
        assert fields["yuki.layout"] == ""
        nine = row_of(fields, "9")
        assert (fields[f"{nine}.type"], fields[f"{nine}.gl_account"]) == ("2", "8010")
        # the VAT code is a drop-down of the accounting system's active codes
        assert '<option value="2" selected>2: BTW 9% (9.00%)</option>' in html
        assert fields["yuki.rounding.gl_account"] == "8990"
        assert fields["yuki.payment_methods.5.@key"] == "mollie"
        assert fields["yuki.payment_methods.5.method"] == "iDeal"
        assert "nothing saved here yet" in html
        assert s.calls.choices == ["alpha"]


def test_a_save_is_a_version_used_by_the_next_pass_and_shown_as_a_diff(tmp_path: Path) -> None:
    with dashboard(tmp_path) as s:
        log_in(s.client)
        _, fields = opened(s)
        nine = row_of(fields, "9")
        fields[f"{nine}.type"] = "3"
        fields[f"{nine}.gl_account"] = "8011"
        fields["yuki.process"] = "on"
        fields["yuki.payment_methods.6.@key"] = "stripe"  # a blank row filled in
        fields["yuki.payment_methods.6.method"] = "CreditCard"
        fields["yuki.payment_methods.6.clearing_account"] = "1105"
        answer = s.client.post(FORM, data=fields)
        assert answer.status_code == 303, answer.text
        page = s.client.get(FORM).text
        assert "Saved as version 1; the next pass uses it." in page
        assert "version 1, saved" in page and "by alice@example.com" in page

        newest = SettingsVersions(s.ledger).newest("alpha")
        assert newest is not None and newest.changed_by == "alice@example.com"
        assert newest.settings["yuki"]["process"] is True
        assert {
            "scheme": "domestic",
            "country": "*",
            "rate": 9,
            "type": 3,
            "gl_account": "8011",
        } in newest.settings["yuki"]["vat_codes"]
        assert newest.settings["yuki"]["payment_methods"]["stripe"] == {
            "method": "CreditCard",
            "clearing_account": "1105",
        }
        assert "prestashop" not in newest.settings  # nothing changed there: not stored

        # what the next pass uses
        shop = with_stored(s.dashboard.config.shop("alpha"), s.ledger)
        assert shop.settings["yuki"]["process"] is True
        assert shop.settings["yuki"]["vat_codes"] == newest.settings["yuki"]["vat_codes"]

        # the diff of version 1 against the file settings
        diff = page.split("What version 1 changed", 1)[1]
        assert '<td>yuki.process</td><td class="before">no</td><td class="after">yes</td>' in diff
        assert (
            '<td>yuki.vat_codes</td><td class="before">scheme: domestic, country: *, rate: 9, '
            'type: 2, gl_account: 8010</td><td class="after">scheme: domestic, country: *, '
            "rate: 9, type: 3, gl_account: 8011</td>"
        ) in diff
        assert (
            '<td>yuki.payment_methods.stripe</td><td class="before">—</td>'
            '<td class="after">method: CreditCard, clearing_account: 1105</td>'
        ) in diff


def test_a_refused_value_is_shown_at_its_field_and_nothing_is_stored(tmp_path: Path) -> None:
    with dashboard(tmp_path) as s:
        log_in(s.client)
        _, fields = opened(s)
        fields["yuki.currency"] = "euro"
        nine = row_of(fields, "9")
        fields[f"{nine}.type"] = "two"  # not a whole number (typed past the drop-down)
        answer = s.client.post(FORM, data=fields)
        assert answer.status_code == 400
        assert "Not saved: 2 problems." in answer.text
        assert "yuki.currency: &#39;euro&#39; does not match &#39;^[A-Z]{3}$&#39;" in answer.text
        assert f"{nine}.type: &#39;two&#39; is not a whole number" in answer.text
        assert 'value="euro"' in answer.text  # what was typed stays in the form
        assert SettingsVersions(s.ledger).newest("alpha") is None


def test_reset_vat_settings_brings_back_the_file_settings(tmp_path: Path) -> None:
    with dashboard(tmp_path) as s:
        token = log_in(s.client)
        nothing = s.client.post(f"{FORM}/reset-vat", data={"csrf_token": token, "based_on": "0"})
        assert nothing.status_code == 303
        assert "nothing to reset" in s.client.get(FORM).text

        _, fields = opened(s)
        fields[f"{row_of(fields, '21')}.gl_account"] = "8001"
        fields["yuki.layout"] = "Webshop"
        assert s.client.post(FORM, data=fields).status_code == 303
        answer = s.client.post(f"{FORM}/reset-vat", data={"csrf_token": token, "based_on": "1"})
        assert answer.status_code == 303
        page = s.client.get(FORM).text
        assert (
            "VAT settings reset to those of the settings file (version 2); the next pass uses them."
        ) in page
        newest = SettingsVersions(s.ledger).newest("alpha")
        assert newest is not None and newest.note == "VAT settings reset"
        assert newest.settings == {"yuki": {"layout": "Webshop"}}  # the layout stays
        shop = with_stored(s.dashboard.config.shop("alpha"), s.ledger)
        assert "vat_codes" not in shop.settings["yuki"]  # the rule set's defaults apply
        assert "What version 2 changed" in page
        assert (
            '<td class="before">scheme: domestic, country: *, rate: 21, type: 1, gl_account: 8001'
            in page
        )
        assert "<td>2</td>" not in page  # (versions are links)
        assert '<a href="?version=1">1</a>' in page and '<a href="?version=2">2</a>' in page
        first = s.client.get(FORM, params={"version": "1"}).text
        assert "What version 1 changed" in first
        assert (
            '<td>yuki.layout</td><td class="before">(empty)</td><td class="after">Webshop</td>'
            in first
        )


def test_a_save_over_a_newer_version_is_refused(tmp_path: Path) -> None:
    with dashboard(tmp_path) as s:
        log_in(s.client)
        _, fields = opened(s)
        fields["yuki.layout"] = "First"
        assert s.client.post(FORM, data=fields).status_code == 303
        fields["yuki.layout"] = "Second"  # the same form (based on version 0) again
        assert s.client.post(FORM, data=fields).status_code == 303
        page = s.client.get(FORM).text
        assert (
            "Not saved: the settings of shop alpha were saved by someone else meanwhile "
            "(version 1): reload the page and make the change again." in page
        )
        newest = SettingsVersions(s.ledger).newest("alpha")
        assert newest is not None and newest.settings == {"yuki": {"layout": "First"}}


def test_another_shops_user_gets_404_and_a_form_without_token_403(tmp_path: Path) -> None:
    with dashboard(tmp_path) as s:
        token = log_in(s.client, BOB)
        fields = {"csrf_token": token, "based_on": "0", "yuki.layout": "Hijacked"}
        assert s.client.post(FORM, data=fields).status_code == 404
        assert s.client.post(f"{FORM}/reset-vat", data=fields).status_code == 404
        assert s.client.get(FORM).status_code == 404
        own = s.client.post("/shops/beta/configuration", data={**fields, "csrf_token": "x"})
        assert own.status_code == 403
        assert SettingsVersions(s.ledger).newest("alpha") is None
        assert SettingsVersions(s.ledger).newest("beta") is None
        assert csrf_of(s.client.get("/shops/beta/configuration").text) == token


def test_a_default_payment_method_row_can_be_changed_but_not_removed(tmp_path: Path) -> None:
    with dashboard(tmp_path) as s:
        log_in(s.client)
        page, fields = opened(s)
        methods = page.split('data-field="yuki.payment_methods"', 1)[1].split("</fieldset>", 1)[0]
        assert (
            "A row of the settings file (a default payment method) can be changed here but not "
            "removed: settings are merged name by name, so a row left empty keeps the file's "
            "value. To stop using one, change what it maps to."
        ) in methods
        row = next(
            k[: -len(".@key")] for k, v in fields.items()
            if k.endswith(".@key") and v == "mollie"
        )
        for key in [k for k in fields if k.startswith(f"{row}.")]:
            fields[key] = ""  # the row emptied, as if to remove it
        assert s.client.post(FORM, data=fields).status_code == 303
        _, again = opened(s)
        assert again[f"{row}.@key"] == "mollie" and again[f"{row}.method"] == "iDeal"
