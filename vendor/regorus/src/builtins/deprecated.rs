// Copyright (c) Microsoft Corporation.
// Licensed under the MIT License.

//! Built-in functions OPA deprecated but still accepts in Rego v0 (and with
//! `--v0-compatible`): `all`, `any`, `re_match`, `set_diff`, `net.cidr_overlap`
//! and the `cast_*` family. Policy libraries written for conftest still call them.

#![allow(clippy::pattern_type_mismatch)]

use crate::ast::{Expr, Ref};
use crate::builtins;
use crate::builtins::utils::{ensure_args_count, ensure_set};
use crate::lexer::Span;
use crate::value::Value;
use crate::*;

use anyhow::{bail, Result};

pub fn register(m: &mut builtins::BuiltinsMap<&'static str, builtins::BuiltinFcn>) {
    m.insert("all", (all, 1));
    m.insert("any", (any, 1));
    m.insert("set_diff", (set_diff, 2));
    m.insert("cast_array", (cast_array, 1));
    m.insert("cast_set", (cast_set, 1));
    m.insert("cast_string", (cast_string, 1));
    m.insert("cast_boolean", (cast_boolean, 1));
    m.insert("cast_null", (cast_null, 1));
    m.insert("cast_object", (cast_object, 1));
    #[cfg(feature = "regex")]
    m.insert("re_match", (builtins::regex::regex_match, 2));
    #[cfg(feature = "net")]
    m.insert("net.cidr_overlap", (builtins::net::cidr_contains, 2));
}

/// The members of an array or set, or a type error naming `fcn`.
fn members<'a>(fcn: &str, param: &Expr, v: &'a Value) -> Result<Vec<&'a Value>> {
    match v {
        Value::Array(a) => Ok(a.iter().collect()),
        Value::Set(s) => Ok(s.iter().collect()),
        _ => {
            let span = param.span();
            bail!(span.error(format!("`{fcn}` expects array or set argument. Got `{v}` instead").as_str()))
        }
    }
}

fn all(span: &Span, params: &[Ref<Expr>], args: &[Value], _strict: bool) -> Result<Value> {
    ensure_args_count(span, "all", params, args, 1)?;
    let items = members("all", &params[0], &args[0])?;
    Ok(Value::Bool(items.iter().all(|v| **v == Value::Bool(true))))
}

fn any(span: &Span, params: &[Ref<Expr>], args: &[Value], _strict: bool) -> Result<Value> {
    ensure_args_count(span, "any", params, args, 1)?;
    let items = members("any", &params[0], &args[0])?;
    Ok(Value::Bool(items.iter().any(|v| **v == Value::Bool(true))))
}

fn set_diff(span: &Span, params: &[Ref<Expr>], args: &[Value], _strict: bool) -> Result<Value> {
    ensure_args_count(span, "set_diff", params, args, 2)?;
    let a = ensure_set("set_diff", &params[0], args[0].clone())?;
    let b = ensure_set("set_diff", &params[1], args[1].clone())?;
    Ok(Value::Set(Rc::new(a.difference(&b))))
}

fn cast_array(span: &Span, params: &[Ref<Expr>], args: &[Value], _strict: bool) -> Result<Value> {
    ensure_args_count(span, "cast_array", params, args, 1)?;
    match &args[0] {
        Value::Array(_) => Ok(args[0].clone()),
        Value::Set(s) => Ok(Value::from(s.iter_sorted().cloned().collect::<Vec<Value>>())),
        v => bail!(params[0].span().error(format!("`cast_array` expects array or set argument. Got `{v}` instead").as_str())),
    }
}

fn cast_set(span: &Span, params: &[Ref<Expr>], args: &[Value], _strict: bool) -> Result<Value> {
    ensure_args_count(span, "cast_set", params, args, 1)?;
    match &args[0] {
        Value::Set(_) => Ok(args[0].clone()),
        Value::Array(a) => Ok(Value::from(a.iter().cloned().collect::<alloc::collections::BTreeSet<Value>>())),
        v => bail!(params[0].span().error(format!("`cast_set` expects array or set argument. Got `{v}` instead").as_str())),
    }
}

/// `cast_string`, `cast_boolean`, `cast_null`, `cast_object`: the argument when it has the type.
fn cast_same(fcn: &str, span: &Span, params: &[Ref<Expr>], args: &[Value], fits: fn(&Value) -> bool) -> Result<Value> {
    if args.len() != 1 {
        bail!(span.error(format!("`{fcn}` expects 1 argument").as_str()));
    }
    if fits(&args[0]) {
        Ok(args[0].clone())
    } else {
        bail!(params[0].span().error(format!("`{fcn}`: operand 1 has the wrong type. Got `{}` instead", args[0]).as_str()))
    }
}

fn cast_string(span: &Span, params: &[Ref<Expr>], args: &[Value], _strict: bool) -> Result<Value> {
    cast_same("cast_string", span, params, args, |v| matches!(v, Value::String(_)))
}

fn cast_boolean(span: &Span, params: &[Ref<Expr>], args: &[Value], _strict: bool) -> Result<Value> {
    cast_same("cast_boolean", span, params, args, |v| matches!(v, Value::Bool(_)))
}

fn cast_null(span: &Span, params: &[Ref<Expr>], args: &[Value], _strict: bool) -> Result<Value> {
    cast_same("cast_null", span, params, args, |v| matches!(v, Value::Null))
}

fn cast_object(span: &Span, params: &[Ref<Expr>], args: &[Value], _strict: bool) -> Result<Value> {
    cast_same("cast_object", span, params, args, |v| matches!(v, Value::Object(_)))
}
