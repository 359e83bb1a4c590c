"""Real small files for attachment tests and benches: PDFs made with fpdf2, an encrypted PDF
made with pypdf, images made with Pillow."""

from __future__ import annotations

import io
import random

from fpdf import FPDF
from PIL import Image


def pdf_file(text: str = "Lettre de soutien de l'EPT Est Ensemble", *, noise_px: int = 0) -> bytes:
    """A one-page PDF; noise_px adds a square of random pixels (incompressible) to weigh it."""
    document = FPDF()
    document.add_page()
    document.set_font("helvetica", size=14)
    document.cell(text=text)
    if noise_px:
        rng = random.Random(noise_px)  # the same bytes on every run
        noise = Image.frombytes("RGB", (noise_px, noise_px), rng.randbytes(noise_px * noise_px * 3))
        document.image(noise, x=10, y=30, w=100)
    return bytes(document.output())


def encrypted_pdf_file() -> bytes:
    from pypdf import PdfReader, PdfWriter

    writer = PdfWriter()
    writer.append(PdfReader(io.BytesIO(pdf_file())))
    writer.encrypt(user_password="secret", algorithm="RC4-128")
    out = io.BytesIO()
    writer.write(out)
    return out.getvalue()


def image_file(fmt: str = "PNG", size: tuple[int, int] = (40, 30)) -> bytes:
    out = io.BytesIO()
    Image.new("RGB", size, (30, 120, 200)).save(out, fmt)
    return out.getvalue()


EXE = b"MZ\x90\x00\x03\x00\x00\x00\x04\x00\x00\x00\xff\xff\x00\x00" + b"\x00" * 200
