//! `action "oppie_instance_power"`: starts, stops or reboots a machine, e.g. stop a preview
//! environment's machines at night, or reboot after a change (`action_trigger`).

use serde::Deserialize;
use tfplug::validator::one_of;
use tfplug::{Action, ActionProgress, Attribute, Block, Context, Diagnostics, Object, Schema};

use super::{target, with_place};
use crate::client::Client;
use crate::kinds::instance;

/// The action type.
pub struct InstancePower;

/// The states the action brings a machine to.
pub const STATES: [&str; 3] = ["running", "stopped", "rebooted"];

#[derive(Deserialize)]
struct Config {
    instance_id: String,
    state: String,
    cloud: Option<String>,
    region: Option<String>,
}

#[tfplug::async_trait]
impl Action<Client> for InstancePower {
    fn type_name(&self) -> &str {
        "oppie_instance_power"
    }

    fn schema(&self) -> Schema {
        Schema::new(
            0,
            with_place(
                Block::new()
                    .markdown("Starts, stops or reboots an `oppie_instance` (AWS EC2 Start/Stop/RebootInstances, Compute Engine `instances.start`/`stop`/`reset`, Azure `start`/`powerOff`/`restart`) and waits until it is in that state. A stopped machine keeps its disks and private address, and costs only its disks.")
                    .attribute(
                        Attribute::string("instance_id")
                            .required()
                            .description("The `id` of the `oppie_instance` (or any machine of the cloud)."),
                    )
                    .attribute(
                        Attribute::string("state")
                            .required()
                            .validator(one_of(STATES))
                            .description("`running` (start it), `stopped` (stop it) or `rebooted` (restart a running machine)."),
                    ),
            ),
        )
    }

    async fn invoke(
        &self,
        ctx: &Context<Client>,
        config: &Object,
        progress: &ActionProgress,
    ) -> Result<(), Diagnostics> {
        let c: Config = config.get()?;
        let (place, region) = target(ctx, c.cloud, c.region, &c.instance_id).await?;
        let ops = instance::operations(&region);
        let what = |verb: &str| format!("{verb} instance {} on {}", c.instance_id, place.cloud);
        let before = ops.power_state(&c.instance_id).await.map_err(|e| e.to_diagnostics(&what("reading")))?;
        let Some(before) = before else {
            return Err(Diagnostics::error(
                "No such instance",
                format!("{} does not exist in {} {}.", c.instance_id, place.cloud, place.region),
            ));
        };
        let (verb, result) = match c.state.as_str() {
            "running" if before == "running" => ("already running", Ok(())),
            "running" => ("starting", ops.start(&c.instance_id).await),
            "stopped" if matches!(before.as_str(), "stopped" | "terminated" | "deallocated") => {
                ("already stopped", Ok(()))
            }
            "stopped" => ("stopping", ops.stop(&c.instance_id).await),
            _ => ("rebooting", ops.reboot(&c.instance_id).await),
        };
        progress.send(format!("{verb} instance {} (was {before})", c.instance_id)).await;
        result.map_err(|e| e.to_diagnostics(&what(verb)))?;
        let after = ops.power_state(&c.instance_id).await.map_err(|e| e.to_diagnostics(&what("reading")))?;
        progress.send(format!("instance {} is {}", c.instance_id, after.as_deref().unwrap_or("gone"))).await;
        Ok(())
    }
}
