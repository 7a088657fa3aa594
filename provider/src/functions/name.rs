//! `provider::oppie::name(project, environment, service, resource)`: the naming convention
//! `{project}-{environment}-{service}-{resource}`, checked against the strictest cloud rules.

use tfplug::{Function, FunctionError, Parameter, Signature, Type, Value};

/// The function.
pub struct Name;

/// GCP resource names (RFC 1035 labels) are the strictest of the three clouds for
/// networks, instances and buckets: at most 63 characters.
pub const MAX_LEN: usize = 63;

const PARTS: [&str; 4] = ["project", "environment", "service", "resource"];

/// Builds and checks a name; errors say which part is wrong.
pub fn build(parts: &[String; 4]) -> Result<String, FunctionError> {
    let lowered: Vec<String> = parts.iter().map(|p| p.to_lowercase()).collect();
    for (i, part) in lowered.iter().enumerate() {
        let what = PARTS[i];
        if part.is_empty() {
            return Err(FunctionError::argument(
                i,
                format!("{what} is empty; every part of a name needs at least one character"),
            ));
        }
        if let Some(bad) = part.chars().find(|c| !(c.is_ascii_lowercase() || c.is_ascii_digit())) {
            return Err(FunctionError::argument(
                i,
                format!(
                    "{what} {part:?} contains {bad:?}; use only letters and digits (the parts are joined with \"-\")"
                ),
            ));
        }
    }
    if !lowered[0].starts_with(|c: char| c.is_ascii_lowercase()) {
        return Err(FunctionError::argument(0, format!("project {:?} must start with a letter", lowered[0])));
    }
    let name = lowered.join("-");
    if name.len() > MAX_LEN {
        let (longest, _) = lowered.iter().enumerate().max_by_key(|(_, p)| p.len()).unwrap_or((0, &lowered[0]));
        return Err(FunctionError::argument(
            longest,
            format!(
                "{name:?} is {} characters; names may have at most {MAX_LEN} (GCP's limit). Shorten the {} part.",
                name.len(),
                PARTS[longest]
            ),
        ));
    }
    Ok(name)
}

impl Function for Name {
    fn name(&self) -> &str {
        "name"
    }

    fn signature(&self) -> Signature {
        Signature {
            parameters: PARTS.iter().map(|p| Parameter::new(*p, Type::String, format!("The {p} part."))).collect(),
            variadic: None,
            returns: Type::String,
            summary: "Builds a resource name from the naming convention".into(),
            description: tfplug::schema::Description::markdown(
                "Returns `project-environment-service-resource`, lower-cased, after checking that each part holds only letters and digits and that the whole fits every cloud's naming rules (at most 63 characters, starting with a letter).",
            ),
            deprecation: None,
        }
    }

    fn call(&self, args: &[Value]) -> Result<Value, FunctionError> {
        let mut parts: [String; 4] = Default::default();
        for (i, slot) in parts.iter_mut().enumerate() {
            *slot = args
                .get(i)
                .and_then(Value::as_str)
                .ok_or_else(|| FunctionError::argument(i, format!("{} must be a string", PARTS[i])))?
                .to_string();
        }
        build(&parts).map(Value::String)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn parts(a: &str, b: &str, c: &str, d: &str) -> [String; 4] {
        [a.into(), b.into(), c.into(), d.into()]
    }

    #[test]
    fn lower_cases_and_joins() {
        assert_eq!(build(&parts("Shop", "dev", "api", "cluster")).unwrap(), "shop-dev-api-cluster");
    }

    #[test]
    fn says_which_part_is_wrong() {
        let e = build(&parts("shop", "dev", "api_v2", "net")).unwrap_err();
        assert_eq!(e.argument, Some(2));
        assert!(e.text.contains("service"), "{}", e.text);
        let e = build(&parts("1shop", "dev", "api", "net")).unwrap_err();
        assert_eq!(e.argument, Some(0));
        let e = build(&parts("shop", "", "api", "net")).unwrap_err();
        assert_eq!(e.argument, Some(1));
        let long = "x".repeat(60);
        let e = build(&parts("shop", "dev", &long, "net")).unwrap_err();
        assert_eq!(e.argument, Some(2));
        assert!(e.text.contains("63"));
    }
}
