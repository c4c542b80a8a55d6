//! Hot-plug conveniences over the generated device calls.
//!
//! `attach_device_flags`, `detach_device_flags`, `detach_device_alias` and
//! `update_device_flags` (generated, one per procedure) change a domain's devices; their
//! [`DomainDeviceModifyFlags`] say which definition: `LIVE` the running guest, `CONFIG` the
//! persistent definition (the next boot), both together, or `CURRENT` (the live one of a
//! running domain, the persistent one otherwise).
//!
//! Attaching is synchronous: once the call returns, the guest has the device (and a
//! `DEVICE_ADDED` event follows). Detaching from a running guest is not: QEMU asks the guest to
//! release the device, and the guest's kernel may take its time or refuse. The qemu driver's
//! `detach_device_flags` waits a few seconds and may return while the removal is still
//! pending; `detach_device_alias` always returns at once. Either way the outcome comes later as
//! a `DEVICE_REMOVED` or `DEVICE_REMOVAL_FAILED` event naming the device's alias:
//! [`Domain::detach_device_alias_and_wait`] waits for it. Give a device an alias of your own
//! when attaching it (`<alias name='ua-data'/>`: user aliases start with `ua-`) to detach it
//! by that name later.

use crate::api::Domain;
use crate::api::events::{DomainEvent, DomainEventKind, EventItem};
use crate::error::{CloseReason, Error, Result};
use crate::proto::c_events::DomainEventId;
use crate::proto::c_flags::{DomainDeviceModifyFlags, DomainXmlFlags};

/// How an unplug request ended.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum DeviceRemoval {
    /// The device is gone (`DEVICE_REMOVED`, or the request touched the persistent definition
    /// only).
    Removed,
    /// The guest refused to release it (`DEVICE_REMOVAL_FAILED`); the device stays.
    Refused,
}

impl Domain {
    /// Detaches the device whose alias is `alias` and, when the running guest is affected
    /// (`flags` has `LIVE`, or is `CURRENT` on a running domain), waits until the guest has
    /// released it or refused to: the end of the unplug that `detach_device_alias` only starts.
    ///
    /// This waits as long as the guest takes, which is forever for a guest whose kernel does
    /// not handle unplug requests (a firmware prompt, a crashed kernel): wrap the call in a
    /// timeout (`tokio::time::timeout`); dropping it leaves the request pending in QEMU, as
    /// `detach_device_alias` would.
    pub async fn detach_device_alias_and_wait(
        &self,
        alias: &str,
        flags: DomainDeviceModifyFlags,
    ) -> Result<DeviceRemoval> {
        let live = flags.contains(DomainDeviceModifyFlags::LIVE)
            || (!flags.contains(DomainDeviceModifyFlags::CONFIG) && self.is_active().await?);
        if !live {
            self.detach_device_alias(alias, flags).await?;
            return Ok(DeviceRemoval::Removed);
        }
        // Subscribed before the request, so that an event that comes at once is not missed.
        let client = self.client();
        let mut removed = client
            .domain_events(self, DomainEventId::DeviceRemoved)
            .await?;
        let mut failed = client
            .domain_events(self, DomainEventId::DeviceRemovalFailed)
            .await?;
        self.detach_device_alias(alias, flags).await?;
        loop {
            let item = tokio::select! {
                item = removed.next() => item,
                item = failed.next() => item,
            };
            if let Some(outcome) = self.removal_outcome(alias, item).await? {
                return Ok(outcome);
            }
        }
    }

    /// What `item` says of the removal of `alias`: `None` while undecided.
    async fn removal_outcome(
        &self,
        alias: &str,
        item: Option<Result<EventItem<DomainEvent>>>,
    ) -> Result<Option<DeviceRemoval>> {
        let Some(item) = item else {
            return Err(Error::closed(
                CloseReason::Error,
                "the event stream ended while waiting for a device removal",
            ));
        };
        Ok(match item? {
            EventItem::Event(ev) => match ev.kind {
                DomainEventKind::DeviceRemoved { dev_alias } if dev_alias == alias => {
                    Some(DeviceRemoval::Removed)
                }
                DomainEventKind::DeviceRemovalFailed { dev_alias } if dev_alias == alias => {
                    Some(DeviceRemoval::Refused)
                }
                _ => None,
            },
            // The event may be among those missed: the live definition tells.
            EventItem::Lagged(_) | EventItem::Reconnected => {
                let xml = self.xml_desc(DomainXmlFlags::default()).await?;
                (!has_alias(&xml, alias)).then_some(DeviceRemoval::Removed)
            }
        })
    }
}

/// Whether a domain XML (as libvirt formats it) has a device whose alias is `alias`.
fn has_alias(xml: &str, alias: &str) -> bool {
    xml.contains(&format!("<alias name='{alias}'/>"))
}

#[cfg(test)]
mod tests {
    use super::has_alias;

    #[test]
    fn an_alias_is_found_only_as_a_whole_name() {
        let xml = "<disk><alias name='ua-data'/></disk><interface><alias name='net0'/></interface>";
        assert!(has_alias(xml, "ua-data"));
        assert!(has_alias(xml, "net0"));
        assert!(!has_alias(xml, "ua-dat"));
        assert!(!has_alias(xml, "net"));
    }
}
