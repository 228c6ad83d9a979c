"""QR codewords (data + Reed-Solomon) for the inputs qrcode 8.2 cannot encode.

qrcode's Reed-Solomon division takes the logarithm of a block's first data byte; when a whole
block of data codewords is zero (a long run of ``0`` digits) it raises ``ValueError: glog(0)``.
The error depends on the data, not on the mask, so retrying with another mask cannot help. This
module computes the same codewords with a division that handles zero coefficients; qrcode then
only places them in the matrix. Tests check it against qrcode's output on ordinary data.
"""

from __future__ import annotations

import functools
from collections.abc import Sequence
from typing import Final

from qrcode import base, util
from qrcode.constants import ERROR_CORRECT_M

_PAD_BYTES: Final = (0xEC, 0x11)


def _gf_tables() -> tuple[list[int], list[int]]:
    exp = [0] * 512
    log = [0] * 256
    value = 1
    for power in range(255):
        exp[power] = value
        log[value] = power
        value <<= 1
        if value & 0x100:
            value ^= 0x11D  # the QR field polynomial x^8 + x^4 + x^3 + x^2 + 1
    for power in range(255, 512):
        exp[power] = exp[power - 255]
    return exp, log


_EXP, _LOG = _gf_tables()


@functools.lru_cache(maxsize=32)
def _generator(degree: int) -> tuple[int, ...]:
    """Coefficients, highest first, of the product of (x - a^i) for i below ``degree``."""
    poly = [1]
    for power in range(degree):
        product = [*poly, 0]  # poly * x
        for i, coefficient in enumerate(poly):  # + poly * a^power (subtraction is xor)
            if coefficient:
                product[i + 1] ^= _EXP[_LOG[coefficient] + power]
        poly = product
    return tuple(poly)


def error_correction(data: Sequence[int], count: int) -> list[int]:
    """Reed-Solomon check codewords: the remainder of data * x^count by the generator."""
    generator = _generator(count)
    remainder = [*data, *([0] * count)]
    for i in range(len(data)):
        coefficient = remainder[i]
        if coefficient:
            shift = _LOG[coefficient]
            for j in range(1, count + 1):
                remainder[i + j] ^= _EXP[_LOG[generator[j]] + shift]
    return remainder[len(data) :]


def codewords(version: int, segments: Sequence[util.QRData]) -> list[int]:
    """The interleaved data and check codewords of ``segments`` at ``version``, level M."""
    buffer = util.BitBuffer()
    for segment in segments:
        buffer.put(segment.mode, 4)
        buffer.put(len(segment), util.length_in_bits(segment.mode, version))
        segment.write(buffer)
    blocks = base.rs_blocks(version, ERROR_CORRECT_M)
    bit_limit = sum(block.data_count for block in blocks) * 8
    if len(buffer) > bit_limit:
        raise ValueError(f"{len(buffer)} bits do not fit version {version}")
    for _ in range(min(bit_limit - len(buffer), 4)):  # terminator
        buffer.put_bit(False)
    while len(buffer) % 8:
        buffer.put_bit(False)
    data: list[int] = list(buffer.buffer)
    data.extend(_PAD_BYTES[i % 2] for i in range(bit_limit // 8 - len(data)))

    data_blocks: list[list[int]] = []
    check_blocks: list[list[int]] = []
    offset = 0
    for block in blocks:
        chunk = data[offset : offset + block.data_count]
        offset += block.data_count
        data_blocks.append(chunk)
        check_blocks.append(error_correction(chunk, block.total_count - block.data_count))
    return _interleave(data_blocks) + _interleave(check_blocks)


def _interleave(blocks: list[list[int]]) -> list[int]:
    longest = max(len(block) for block in blocks)
    return [block[i] for i in range(longest) for block in blocks if i < len(block)]
