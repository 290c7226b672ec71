//! calamine's xlsb formula parser (`parse_formula` in calamine 0.38
//! `src/xlsb/mod.rs`), run for its effects only: which bytes of the
//! formula tokens it reads, which tables it indexes, how deep it recurses
//! and how much text it builds. calamine parses the formula of every
//! defined name while it opens a workbook, and a damaged one can make it
//! index past its data, recurse until the stack overflows (which no
//! guard can catch) or copy its growing text quadratically.

use super::records::{u16_at, u32_at};
use super::Stop;

/// calamine's `FTAB_LEN`: the built-in functions a formula can call.
const FUNCTIONS: usize = 485;

/// calamine's `FTAB_ARGC`: how many arguments each built-in function of
/// fixed arity takes (copied from calamine 0.38 `src/utils.rs`, MIT
/// licence, Copyright 2016-2026 Johann Tuffe).
const ARGC: [u8; FUNCTIONS] = [
    255, 3, 1, 1, 255, 255, 255, 255, 1, 1, 0, 254, 255, 2, 3, 1, 1, 1, 1, 0, 1, 1, 1, 1, 1, 1, 1,
    2, 3, 4, 2, 3, 1, 1, 0, 0, 255, 255, 1, 2, 3, 3, 3, 3, 3, 3, 255, 3, 2, 4, 4, 4, 4, 1, 1, 1, 5,
    5, 5, 5, 6, 3, 2, 0, 3, 3, 3, 1, 1, 1, 2, 1, 1, 1, 0, 1, 1, 1, 5, 2, 2, 3, 3, 1, 2, 0, 1, 1, 2,
    0, 1, 2, 2, 2, 0, 0, 1, 2, 1, 1, 255, 4, 4, 2, 7, 1, 1, 2, 2, 2, 4, 1, 1, 1, 1, 2, 2, 2, 1, 4,
    4, 1, 3, 1, 3, 2, 1, 1, 1, 1, 1, 1, 2, 1, 1, 1, 2, 2, 2, 2, 1, 1, 3, 4, 5, 3, 2, 2, 2, 255,
    255, 1, 4, 5, 5, 5, 5, 1, 3, 4, 3, 1, 1, 1, 1, 1, 2, 6, 6, 255, 2, 4, 1, 0, 0, 2, 2, 3, 2, 1,
    1, 1, 4, 255, 1, 2, 1, 2, 2, 3, 1, 3, 4, 255, 255, 3, 3, 2, 1, 3, 1, 1, 0, 0, 2, 3, 3, 4, 2, 2,
    3, 3, 2, 2, 1, 1, 3, 0, 0, 5, 3, 0, 7, 0, 1, 0, 3, 255, 255, 1, 1, 1, 1, 1, 1, 3, 11, 1, 0, 2,
    3, 5, 4, 4, 1, 0, 5, 5, 1, 0, 0, 1, 2, 2, 1, 255, 1, 1, 2, 3, 3, 1, 1, 1, 2, 3, 3, 3, 2, 255,
    5, 1, 5, 4, 2, 2, 2, 3, 3, 1, 3, 3, 3, 1, 1, 2, 4, 3, 2, 4, 3, 3, 3, 4, 1, 3, 1, 3, 1, 2, 3, 3,
    4, 2, 2, 2, 2, 2, 2, 3, 2, 2, 2, 2, 2, 2, 4, 4, 255, 255, 255, 255, 255, 255, 3, 2, 2, 2, 2, 3,
    255, 2, 2, 4, 4, 3, 255, 2, 9, 2, 3, 4, 1, 1, 255, 3, 2, 1, 2, 1, 4, 3, 1, 2, 2, 4, 5, 2, 128,
    2, 1, 255, 255, 255, 255, 255, 255, 255, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 255, 255, 3, 3, 4, 2,
    1, 2, 2, 2, 2, 2, 2, 1, 1, 2, 2, 2, 2, 2, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 3, 255, 255, 4,
    1, 1, 2, 2, 2, 1, 1, 2, 2, 1, 2, 2, 2, 2, 3, 3, 6, 6, 5, 5, 5, 5, 5, 3, 3, 3, 7, 7, 2, 2, 2, 2,
    6, 6, 2, 2, 3, 4, 4, 4, 4, 4, 4, 6, 6, 8, 8, 8, 8, 2, 2, 7, 7, 8, 8, 5, 3, 3, 255, 255, 255, 2,
    4, 5, 1, 2, 128, 129, 3, 129,
];

/// The longest name in calamine's function table (`ERROR.TYPE`-like
/// names), for the upper bound of the text a call adds.
const LONGEST_FUNCTION: usize = 18;

/// How deeply sub-formulas (`PtgMemFunc`) may nest. Excel nests
/// functions at most 64 deep; calamine recurses once per level.
pub(super) const MAX_DEPTH: u32 = 64;

/// What a formula refers to: the text length of each external sheet
/// reference and of each defined name so far.
pub(super) struct Names<'a> {
    pub sheets: &'a [usize],
    pub defined: &'a [usize],
}

/// Walks `rgce` as calamine's `parse_formula` does. Returns (an upper
/// bound of) the length of the formula text it would build. `work`
/// counts (an upper bound of) the bytes it would copy, across formulas.
pub(super) fn walk(
    rgce: &[u8],
    names: &Names<'_>,
    depth: u32,
    work: &mut u64,
) -> Result<usize, Stop> {
    if depth > MAX_DEPTH {
        return Err(Stop::TooDeep);
    }
    if rgce.is_empty() {
        return Ok(0);
    }
    let mut rgce = rgce;
    // calamine keeps a stack of positions in its text: only their count
    // matters for what it reads and whether it fails.
    let mut stack = 0usize;
    let mut len = 0usize;
    // Takes `n` bytes off the front, or stops where calamine would panic.
    let take = |rgce: &mut &[u8], n: usize| -> Result<(), Stop> {
        *rgce = rgce.get(n..).ok_or(Stop::Index)?;
        Ok(())
    };
    let sheet = |ixti: u16| {
        names
            .sheets
            .get(usize::from(ixti))
            .copied()
            .ok_or(Stop::Index)
    };
    // `read_u32(..) + 1` overflows (a panic in checked builds) at u32::MAX.
    let plus_one = |v: u32| v.checked_add(1).ok_or(Stop::Index);
    // A row number and a column's letters, at most.
    const CELL: usize = 1 + 3 + 1 + 10;
    while let Some((&ptg, rest)) = rgce.split_first() {
        rgce = rest;
        let before = len;
        match ptg {
            0x3a | 0x5a | 0x7a => {
                // PtgRef3d
                let name = sheet(u16_at(rgce, 0)?)?;
                u16_at(rgce, 6)?;
                plus_one(u32_at(rgce, 2)?)?;
                stack += 1;
                len += name + 1 + CELL;
                take(&mut rgce, 8)?;
            }
            0x3b | 0x5b | 0x7b => {
                // PtgArea3d
                let name = sheet(u16_at(rgce, 0)?)?;
                u16_at(rgce, 10)?;
                plus_one(u32_at(rgce, 2)?)?;
                u16_at(rgce, 12)?;
                plus_one(u32_at(rgce, 6)?)?;
                stack += 1;
                len += name + 1 + 2 * CELL + 1;
                take(&mut rgce, 14)?;
            }
            0x3c | 0x5c | 0x7c | 0x3d | 0x5d | 0x7d => {
                // PtgRefErr3d, PtgAreaErr3d
                let name = sheet(u16_at(rgce, 0)?)?;
                stack += 1;
                len += name + 1 + 5;
                take(&mut rgce, if ptg & 0x0F == 0x0C { 8 } else { 14 })?;
            }
            0x01 => {
                // PtgExp
                stack += 1;
                take(&mut rgce, 4)?;
            }
            0x03..=0x11 => {
                // A binary operator: pops one operand, copies it back.
                stack = stack.checked_sub(1).ok_or(Stop::Rejected)?;
                *work += len as u64;
                len += 2;
            }
            0x12 | 0x13 | 0x15 => {
                // Unary plus and minus, parentheses: insert before the top.
                if stack == 0 {
                    return Err(Stop::Rejected);
                }
                *work += len as u64;
                len += 2;
            }
            0x14 => len += 1,
            0x16 => stack += 1,
            0x17 => {
                // PtgStr: a count of UTF-16 units, then the units.
                stack += 1;
                let units = usize::from(u16_at(rgce, 0)?);
                rgce.get(2..2 + 2 * units).ok_or(Stop::Index)?;
                len += 2 + 3 * units;
                take(&mut rgce, 2 + 2 * units)?;
            }
            0x18 => {
                stack += 1;
                let eptg = *rgce.first().ok_or(Stop::Index)?;
                take(&mut rgce, 1)?;
                match eptg {
                    0x19 => take(&mut rgce, 12)?,
                    0x1D => take(&mut rgce, 4)?,
                    _ => return Err(Stop::Rejected),
                }
            }
            0x19 => {
                let eptg = *rgce.first().ok_or(Stop::Index)?;
                take(&mut rgce, 1)?;
                match eptg {
                    0x01 | 0x02 | 0x08 | 0x20 | 0x21 | 0x40 | 0x41 | 0x80 => take(&mut rgce, 2)?,
                    0x04 => take(&mut rgce, 10)?,
                    0x10 => {
                        take(&mut rgce, 2)?;
                        if stack == 0 {
                            return Err(Stop::Rejected);
                        }
                        *work += len as u64;
                        len += 5;
                    }
                    _ => return Err(Stop::Rejected),
                }
            }
            0x1C => {
                stack += 1;
                let error = *rgce.first().ok_or(Stop::Index)?;
                take(&mut rgce, 1)?;
                if ![0x00, 0x07, 0x0F, 0x17, 0x1D, 0x24, 0x2A, 0x2B].contains(&error) {
                    return Err(Stop::Rejected);
                }
                len += 14;
            }
            0x1D => {
                stack += 1;
                rgce.first().ok_or(Stop::Index)?;
                len += 5;
                take(&mut rgce, 1)?;
            }
            0x1E => {
                stack += 1;
                u16_at(rgce, 0)?;
                len += 5;
                take(&mut rgce, 2)?;
            }
            0x1F => {
                stack += 1;
                rgce.get(..8).ok_or(Stop::Index)?;
                // `{}` of an f64 never uses an exponent: up to ~1,100 digits.
                len += 1_100;
                take(&mut rgce, 8)?;
            }
            0x20 | 0x40 | 0x60 => {
                // PtgArray
                stack += 1;
                take(&mut rgce, 14)?;
            }
            0x21 | 0x41 | 0x61 => {
                // PtgFunc: a function of fixed arity.
                let index = usize::from(u16_at(rgce, 0)?);
                if index > FUNCTIONS {
                    return Err(Stop::Rejected);
                }
                take(&mut rgce, 2)?;
                // calamine checks `> FTAB_LEN`, so FTAB_LEN itself is
                // looked up one past the end of its table.
                let argc = usize::from(*ARGC.get(index).ok_or(Stop::Index)?);
                call(&mut stack, &mut len, work, argc)?;
            }
            0x22 | 0x42 | 0x62 => {
                // PtgFuncVar: the argument count comes first.
                let argc = usize::from(*rgce.first().ok_or(Stop::Index)?);
                let index = usize::from(u16_at(rgce, 1)?);
                take(&mut rgce, 3)?;
                call(&mut stack, &mut len, work, argc)?;
                // Not bounds-checked by calamine at all.
                if index >= FUNCTIONS {
                    return Err(Stop::Index);
                }
            }
            0x23 | 0x43 | 0x63 => {
                // PtgName: one-based; 0 underflows (a panic in checked builds).
                let index = (u32_at(rgce, 0)? as usize)
                    .checked_sub(1)
                    .ok_or(Stop::Index)?;
                stack += 1;
                len += names.defined.get(index).copied().unwrap_or(0);
                take(&mut rgce, 4)?;
            }
            0x24 | 0x44 | 0x64 => {
                // PtgRef
                plus_one(u32_at(rgce, 0)?)?;
                rgce.get(..6).ok_or(Stop::Index)?;
                stack += 1;
                len += CELL;
                take(&mut rgce, 6)?;
            }
            0x25 | 0x45 | 0x65 => {
                // PtgArea
                stack += 1;
                u16_at(rgce, 8)?;
                plus_one(u32_at(rgce, 0)?)?;
                u16_at(rgce, 10)?;
                plus_one(u32_at(rgce, 4)?)?;
                len += 2 * CELL + 1;
                take(&mut rgce, 12)?;
            }
            0x2A | 0x4A | 0x6A | 0x2B | 0x4B | 0x6B => {
                // PtgRefErr, PtgAreaErr
                stack += 1;
                len += 5;
                take(&mut rgce, if ptg & 0x0F == 0x0A { 6 } else { 12 })?;
            }
            0x29 | 0x49 | 0x69 => {
                // PtgMemFunc: a sub-formula, parsed by recursion.
                let size = usize::from(u16_at(rgce, 0)?);
                take(&mut rgce, 2)?;
                let inner = rgce.get(..size).ok_or(Stop::Index)?;
                let text = walk(inner, names, depth + 1, work)?;
                stack += 1;
                len += text;
                take(&mut rgce, size)?;
            }
            0x39 | 0x59 | 0x79 => {
                // PtgNameX
                stack += 1;
                len += 16;
                take(&mut rgce, 6)?;
            }
            _ => return Err(Stop::Rejected),
        }
        *work += (len - before) as u64 + 1;
        if *work > super::MAX_WORK {
            return Err(Stop::TooMuchWork);
        }
    }
    if stack == 1 {
        Ok(len)
    } else {
        Err(Stop::Rejected)
    }
}

/// A function call: takes `argc` operands off the stack, pushes one.
fn call(stack: &mut usize, len: &mut usize, work: &mut u64, argc: usize) -> Result<(), Stop> {
    if *stack < argc {
        return Err(Stop::Rejected);
    }
    *stack = *stack - argc + 1;
    *work += *len as u64;
    *len += LONGEST_FUNCTION + 2 + argc;
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn run(rgce: &[u8], sheets: &[usize], defined: &[usize]) -> Result<usize, Stop> {
        walk(rgce, &Names { sheets, defined }, 0, &mut 0)
    }

    #[test]
    fn a_well_formed_formula_walks_through() {
        // A1 + 2: PtgRef, PtgInt, PtgAdd.
        let rgce = [0x24, 0, 0, 0, 0, 0, 0xC0, 0x1E, 2, 0, 0x03];
        assert!(run(&rgce, &[], &[]).is_ok());
        // SUM(Sheet1!A1): PtgRef3d to external sheet 0, then PtgFuncVar.
        let rgce = [0x3a, 0, 0, 0, 0, 0, 0, 0, 0, 0x22, 1, 4, 0];
        assert!(run(&rgce, &[6], &[]).is_ok());
    }

    #[test]
    fn what_calamine_would_index_past_is_refused() {
        // PtgRef3d to an external sheet that does not exist.
        let rgce = [0x3a, 3, 0, 0, 0, 0, 0, 0, 0];
        assert_eq!(run(&rgce, &[6], &[]), Err(Stop::Index));
        // PtgRef cut short.
        assert_eq!(run(&[0x24, 0, 0], &[], &[]), Err(Stop::Index));
        // PtgFunc numbered FTAB_LEN, one past calamine's table.
        let [lo, hi] = (FUNCTIONS as u16).to_le_bytes();
        assert_eq!(run(&[0x21, lo, hi], &[], &[]), Err(Stop::Index));
        // PtgFuncVar with no arguments and an unknown function.
        assert_eq!(run(&[0x22, 0, 0xFF, 0xFF], &[], &[]), Err(Stop::Index));
        // PtgName 0 (names are one-based).
        assert_eq!(run(&[0x23, 0, 0, 0, 0], &[], &[]), Err(Stop::Index));
        // A row of u32::MAX, whose "+ 1" overflows.
        assert_eq!(
            run(&[0x24, 0xFF, 0xFF, 0xFF, 0xFF, 0, 0], &[], &[]),
            Err(Stop::Index)
        );
    }

    #[test]
    fn errors_calamine_returns_are_refusals_too() {
        // An operator with nothing to operate on.
        assert_eq!(run(&[0x03], &[], &[]), Err(Stop::Rejected));
        // An unknown token.
        assert_eq!(run(&[0xFF], &[], &[]), Err(Stop::Rejected));
    }

    #[test]
    fn deep_and_costly_formulas_are_refused() {
        // PtgMemFunc nested 100 deep around PtgInt.
        let mut rgce = vec![0x1E, 1, 0];
        for _ in 0..100 {
            let size = (rgce.len() as u16).to_le_bytes();
            rgce = [&[0x29, size[0], size[1]][..], &rgce].concat();
        }
        assert_eq!(run(&rgce, &[], &[]), Err(Stop::TooDeep));
        // A long name referred to over and over, each time wrapped in
        // parentheses: calamine's text copying grows quadratically.
        let mut rgce = vec![0x23, 1, 0, 0, 0];
        rgce.extend(std::iter::repeat_n(0x15, 60_000));
        let mut work = 0;
        let names = Names {
            sheets: &[],
            defined: &[1 << 20],
        };
        assert_eq!(walk(&rgce, &names, 0, &mut work), Err(Stop::TooMuchWork));
    }
}
