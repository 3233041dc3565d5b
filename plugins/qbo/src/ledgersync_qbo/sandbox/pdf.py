"""``GET /v3/company/{realm}/{entity}/{id}/pdf``: a sales form as a (minimal) PDF document.

QBO renders the form with the company's custom form style; the sandbox answers a one-page PDF
naming the form, its number, customer and total, so a client that downloads forms gets a real
``application/pdf`` answer (and a 610 fault for an unknown id, as for a read).
"""

from __future__ import annotations

from typing import Any

__all__ = ["PDF_ENTITIES", "render"]

# The forms QBO renders as PDF through the API.
PDF_ENTITIES = frozenset({"Invoice", "CreditMemo", "RefundReceipt", "SalesReceipt",
                          "Estimate", "Payment"})


def _escape(text: str) -> str:
    safe = text.encode("latin-1", "replace").decode("latin-1")
    return safe.replace("\\", "\\\\").replace("(", "\\(").replace(")", "\\)")


def render(entity: str, obj: dict[str, Any]) -> bytes:
    """A one-page PDF of ``obj``."""
    customer = obj.get("CustomerRef") or {}
    lines = [f"{entity} {obj.get('DocNumber') or obj.get('Id')}",
             f"Date: {obj.get('TxnDate', '')}",
             f"Customer: {customer.get('name') or customer.get('value') or ''}",
             f"Total: {obj.get('TotalAmt', '')}"]
    text = " T* ".join(f"({_escape(line)}) Tj" for line in lines)
    stream = f"BT /F1 12 Tf 14 TL 72 720 Td {text} ET".encode("latin-1")
    objects = [
        b"<< /Type /Catalog /Pages 2 0 R >>",
        b"<< /Type /Pages /Kids [3 0 R] /Count 1 >>",
        b"<< /Type /Page /Parent 2 0 R /MediaBox [0 0 612 792] "
        b"/Resources << /Font << /F1 4 0 R >> >> /Contents 5 0 R >>",
        b"<< /Type /Font /Subtype /Type1 /BaseFont /Helvetica >>",
        b"<< /Length " + str(len(stream)).encode() + b" >>\nstream\n" + stream
        + b"\nendstream",
    ]
    out = bytearray(b"%PDF-1.4\n")
    offsets = []
    for number, body in enumerate(objects, start=1):
        offsets.append(len(out))
        out += f"{number} 0 obj\n".encode() + body + b"\nendobj\n"
    xref = len(out)
    out += f"xref\n0 {len(objects) + 1}\n0000000000 65535 f \n".encode()
    out += b"".join(f"{offset:010d} 00000 n \n".encode() for offset in offsets)
    out += (f"trailer\n<< /Size {len(objects) + 1} /Root 1 0 R >>\nstartxref\n{xref}\n"
            "%%EOF\n").encode()
    return bytes(out)
