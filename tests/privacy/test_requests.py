"""Data-subject requests (R9.3, art. 12): identity, deadlines and extensions, the staff
queue and its warnings, the access archive, restriction and objection."""

import io
import json
import re
import zipfile
from datetime import date

import pytest
from django.core.exceptions import ValidationError
from django.urls import reverse

from kyklos.core import clock
from kyklos.core import personal_data as pd
from kyklos.core.personal_data import personal_data
from kyklos.notifications.models import Outbox
from kyklos.privacy import consent, requests
from kyklos.privacy.models import DataSubjectRequest, Restriction

pytestmark = pytest.mark.django_db


def test_a_customer_files_a_request_in_the_portal_due_30_days_after_receipt(
    portal, customer, today
):
    response = portal.post(reverse("privacy:requests"), {"kind": "access", "details": ""})
    assert response.status_code == 302
    req = DataSubjectRequest.objects.get()
    assert (req.customer_id, req.status, req.email) == (customer.pk, "open", "maria@example.gr")
    assert req.due_on == date(2027, 3, 31)
    notice = Outbox.objects.get(event=requests.RECEIVED_EVENT)
    assert notice.context["due_on"] == "2027-03-31"
    assert "Request" in portal.get(reverse("privacy:requests")).content.decode()


def test_someone_without_an_account_confirms_their_address_first(client, today):
    client.post(
        reverse("privacy:public_request"),
        {"name": "Pat Visitor", "email": "pat@example.org", "kind": "erasure"},
    )
    req = DataSubjectRequest.objects.get()
    assert req.status == "unverified" and req.due_on is None
    mail = Outbox.objects.get(event=requests.VERIFY_EVENT)
    assert mail.to_email == "pat@example.org" and mail.customer_id is None
    path = re.search(r"/privacy/requests/verify/[^/]+/", mail.context["verify_url"]).group(0)

    assert client.get(path).status_code == 200  # a link scanner's GET confirms nothing
    assert DataSubjectRequest.objects.get().status == "unverified"
    with clock.frozen(date(2027, 3, 2)):
        client.post(path)
    req.refresh_from_db()
    assert req.status == "open" and req.due_on == date(2027, 4, 1)
    assert client.post("/privacy/requests/verify/forged/").status_code == 404


def test_unconfirmed_requests_expire(client, today, run_day):
    requests.submit_by_email(kind="access", email="late@example.org")
    run_day(date(2027, 3, 5))
    assert not DataSubjectRequest.objects.exists()


def test_bad_input_is_refused_and_writes_nothing(today):
    with pytest.raises(ValidationError) as error:
        requests.submit_by_email(kind="gossip", email="not-an-address")
    assert set(error.value.message_dict) == {"kind", "email"}
    assert not DataSubjectRequest.objects.exists() and not Outbox.objects.exists()


@pytest.fixture
def req(customer, today):
    return requests.submit_as_customer(customer.user, kind="access")


def test_an_extension_needs_a_reason_and_tells_the_person(req, staff):
    with pytest.raises(ValidationError, match="needs a reason"):
        requests.extend(req, months=2, reason=" ", actor=staff)
    with pytest.raises(ValidationError, match="one or two months"):
        requests.extend(req, months=3, reason="many systems", actor=staff)
    with clock.frozen(date(2027, 3, 20)):
        extended = requests.extend(req, months=2, reason="Data in three systems", actor=staff)
    assert extended.due_on == date(2027, 3, 31)
    assert extended.extended_to == date(2027, 5, 31)
    notice = Outbox.objects.get(event=requests.EXTENDED_EVENT)
    assert notice.context["reason"] == "Data in three systems"
    assert notice.context["extended_to"] == "2027-05-31"
    with pytest.raises(ValidationError, match="already extended"):
        requests.extend(extended, months=1, reason="again", actor=staff)


def test_no_extension_after_the_first_month(req, staff):
    with clock.frozen(date(2027, 4, 1)), pytest.raises(ValidationError, match="has passed"):
        requests.extend(req, months=1, reason="late", actor=staff)
    assert DataSubjectRequest.objects.get().extended_to is None


def test_staff_are_warned_as_the_deadline_nears_once_per_threshold(
    customer, other_customer, today, settings
):
    first = requests.submit_as_customer(customer.user, kind="access")  # due 31 Mar
    with clock.frozen(date(2027, 3, 10)):
        second = requests.submit_as_customer(other_customer.user, kind="objection")  # due 9 Apr

    def warnings(day):
        with clock.frozen(day):
            return requests.warn_deadlines(day)["privacy_request_warnings"]

    assert warnings(date(2027, 3, 23)) == 0  # 8 days left
    assert warnings(date(2027, 3, 24)) == 1  # 7 days left
    assert warnings(date(2027, 3, 24)) == 0  # not twice
    assert warnings(date(2027, 3, 29)) == 1  # 2 days left: the 3-day warning
    assert warnings(date(2027, 4, 2)) == 2  # first overdue, second 7 days away
    staff_mails = Outbox.objects.filter(event=requests.STAFF_EVENT)
    assert {m.to_email for m in staff_mails} == {settings.KYKLOS_DPO["email"]}
    assert list(requests.queue()) == [first, second]


def test_access_produces_an_archive_with_json_csv_per_category_and_a_readme(
    req, staff, portal, other_customer, client
):
    consent.record(purposes={"marketing_email": True}, source="portal", customer_id=req.customer_id)
    done = requests.fulfil(req, actor=staff)
    assert done.status == "done" and done.archive

    response = portal.get(reverse("privacy:my_archive", args=[done.pk]))
    archive = zipfile.ZipFile(io.BytesIO(b"".join(response.streaming_content)))
    names = set(archive.namelist())
    assert {"data.json", "README.txt", "customer_records.csv", "accounts.csv"} <= names
    assert "marketing_preferences.csv" in names
    data = json.loads(archive.read("data.json"))
    assert data["customer_records"]["customers.Customer"][0]["name"] == "Maria Nowak"
    assert "Maria Nowak" in archive.read("customer_records.csv").decode()
    readme = archive.read("README.txt").decode()
    assert "Customer account and contact details (customer_records.csv)" in readme
    assert "Retention: 1 year after the customer relationship ends" in readme
    assert "Legal basis: Performance of a contract (art. 6(1)(b) GDPR)" in readme
    # The answer carries a signed link; another customer cannot fetch the archive.
    answer = Outbox.objects.get(event=requests.ANSWERED_EVENT)
    assert "/privacy/requests/" in answer.context["download_url"]
    client.force_login(other_customer.user)
    assert client.get(reverse("privacy:my_archive", args=[done.pk])).status_code == 404
    assert client.get(f"/privacy/requests/{done.pk}/archive/forged/").status_code == 404


def test_restriction_stops_marketing_and_objection_withdraws_every_consent(customer, staff, today):
    consent.record(
        purposes={"marketing_email": True, "surveys": True},
        source="portal",
        customer_id=customer.pk,
    )
    objection = requests.submit_as_customer(customer.user, kind="objection")
    requests.fulfil(objection, actor=staff)
    assert not any(consent.state(customer_id=customer.pk).values())

    restriction = requests.submit_as_customer(customer.user, kind="restriction")
    requests.fulfil(restriction, actor=staff)
    assert Restriction.objects.get().request_id == restriction.pk
    consent.record(purposes={"marketing_email": True}, source="portal", customer_id=customer.pk)
    assert not personal_data.may_process(pd.MARKETING_EMAIL, customer_id=customer.pk)


def test_rectification_says_what_was_corrected_and_rejection_why(customer, staff, today):
    fix = requests.submit_as_customer(customer.user, kind="rectification", details="Typo")
    with pytest.raises(ValidationError, match="what was corrected"):
        requests.fulfil(fix, actor=staff)
    assert requests.fulfil(fix, actor=staff, response="Name corrected").status == "done"
    other = requests.submit_as_customer(customer.user, kind="access")
    with pytest.raises(ValidationError):
        requests.reject(other, actor=staff, reason="")
    assert (
        requests.reject(other, actor=staff, reason="Fourth identical request").status == "rejected"
    )
    with pytest.raises(ValidationError, match="open request"):
        requests.fulfil(other, actor=staff)


def test_staff_see_the_queue_by_deadline_in_the_admin(client, staff, req):
    client.force_login(staff)
    page = client.get(reverse("admin:privacy_datasubjectrequest_changelist")).content.decode()
    assert "maria@example.gr" in page
