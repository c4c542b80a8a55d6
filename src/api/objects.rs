//! Handles for the other objects a driver manages: networks, storage pools, node devices and
//! secrets. Each is a name (or usage) and UUID on a connection, usable for calls at once.

use std::fmt;

use crate::api::domain::format_uuid;
use crate::api::{Client, Domain};
use crate::error::Result;
use crate::proto::remote;
use crate::proto::xdr::{FixedOpaque, XdrString};

/// Declares a handle: the connection and the wire form, `new`, `client` and `to_remote`.
macro_rules! handle_base {
    ($(#[$doc:meta])* $name:ident, $wire:ident) => {
        $(#[$doc])*
        #[derive(Clone)]
        pub struct $name {
            client: Client,
            wire: remote::$wire,
        }

        impl $name {
            pub(crate) fn new(client: Client, wire: remote::$wire) -> Self {
                $name { client, wire }
            }

            /// The connection this object belongs to.
            pub fn client(&self) -> &Client {
                &self.client
            }

            /// The wire form of this object, for raw calls.
            pub fn to_remote(&self) -> remote::$wire {
                self.wire.clone()
            }
        }
    };
}

/// Declares a handle for an object identified by name and UUID.
macro_rules! named_object {
    ($(#[$doc:meta])* $name:ident, $wire:ident) => {
        handle_base!($(#[$doc])* $name, $wire);

        impl $name {
            /// The object's name.
            pub fn name(&self) -> &str {
                self.wire.name.as_str()
            }

            /// The object's UUID.
            pub fn uuid(&self) -> [u8; 16] {
                self.wire.uuid.0
            }

            /// The UUID in its usual text form.
            pub fn uuid_string(&self) -> String {
                format_uuid(&self.wire.uuid.0)
            }
        }

        impl fmt::Debug for $name {
            fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                f.debug_struct(stringify!($name))
                    .field("name", &self.name())
                    .field("uuid", &self.uuid_string())
                    .finish()
            }
        }
    };
}

named_object!(
    /// A virtual network on a connection. Cheap to clone; keeps its connection open.
    Network,
    NonnullNetwork
);

named_object!(
    /// A storage pool on a connection. Cheap to clone; keeps its connection open.
    StoragePool,
    NonnullStoragePool
);

/// A host device known to the node device driver. Cheap to clone; keeps its connection open.
#[derive(Clone)]
pub struct NodeDevice {
    client: Client,
    wire: remote::NonnullNodeDevice,
}

impl NodeDevice {
    pub(crate) fn new(client: Client, wire: remote::NonnullNodeDevice) -> Self {
        NodeDevice { client, wire }
    }

    /// The connection this device belongs to.
    pub fn client(&self) -> &Client {
        &self.client
    }

    /// The device's name (`net_lo_00_00_00_00_00_00`, `pci_0000_00_1f_2`, …).
    pub fn name(&self) -> &str {
        self.wire.name.as_str()
    }

    /// The wire form of this device, for raw calls.
    pub fn to_remote(&self) -> remote::NonnullNodeDevice {
        self.wire.clone()
    }
}

impl fmt::Debug for NodeDevice {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("NodeDevice")
            .field("name", &self.name())
            .finish()
    }
}

/// A secret (a password or key the hypervisor uses), identified by UUID and by its usage.
/// Cheap to clone; keeps its connection open.
#[derive(Clone)]
pub struct Secret {
    client: Client,
    wire: remote::NonnullSecret,
}

impl Secret {
    pub(crate) fn new(client: Client, wire: remote::NonnullSecret) -> Self {
        Secret { client, wire }
    }

    /// The connection this secret belongs to.
    pub fn client(&self) -> &Client {
        &self.client
    }

    /// The secret's UUID.
    pub fn uuid(&self) -> [u8; 16] {
        self.wire.uuid.0
    }

    /// The UUID in its usual text form.
    pub fn uuid_string(&self) -> String {
        format_uuid(&self.wire.uuid.0)
    }

    /// What the secret is for (`VIR_SECRET_USAGE_TYPE_*`: 0 none, 1 volume, 2 ceph, 3 iscsi,
    /// 4 tls, 5 vtpm).
    pub fn usage_type(&self) -> i32 {
        self.wire.usage_type
    }

    /// The usage's identifier (a volume path, a ceph or iSCSI name, …).
    pub fn usage_id(&self) -> &str {
        self.wire.usage_id.as_str()
    }

    /// The wire form of this secret, for raw calls.
    pub fn to_remote(&self) -> remote::NonnullSecret {
        self.wire.clone()
    }
}

impl fmt::Debug for Secret {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Secret")
            .field("uuid", &self.uuid_string())
            .field("usage_type", &self.usage_type())
            .field("usage_id", &self.usage_id())
            .finish()
    }
}

impl Client {
    /// The virtual network named `name`.
    pub async fn lookup_network_by_name(&self, name: &str) -> Result<Network> {
        let args = remote::NetworkLookupByNameArgs {
            name: XdrString::try_from(name)?,
        };
        let ret = self.raw().network_lookup_by_name(&args).await?;
        Ok(Network::new(self.clone(), ret.net))
    }

    /// The storage pool named `name`.
    pub async fn lookup_storage_pool_by_name(&self, name: &str) -> Result<StoragePool> {
        let args = remote::StoragePoolLookupByNameArgs {
            name: XdrString::try_from(name)?,
        };
        let ret = self.raw().storage_pool_lookup_by_name(&args).await?;
        Ok(StoragePool::new(self.clone(), ret.pool))
    }

    /// The host device named `name`.
    pub async fn lookup_node_device_by_name(&self, name: &str) -> Result<NodeDevice> {
        let args = remote::NodeDeviceLookupByNameArgs {
            name: XdrString::try_from(name)?,
        };
        let ret = self.raw().node_device_lookup_by_name(&args).await?;
        Ok(NodeDevice::new(self.clone(), ret.dev))
    }

    /// The secret with `uuid`.
    pub async fn lookup_secret_by_uuid(&self, uuid: [u8; 16]) -> Result<Secret> {
        let args = remote::SecretLookupByUuidArgs {
            uuid: FixedOpaque(uuid),
        };
        let ret = self.raw().secret_lookup_by_uuid(&args).await?;
        Ok(Secret::new(self.clone(), ret.secret))
    }
}

/// Declares a handle for an object identified by two strings of its wire form.
macro_rules! pair_object {
    ($(#[$doc:meta])* $name:ident, $wire:ident,
     $(#[$adoc:meta])* $a:ident, $(#[$bdoc:meta])* $b:ident) => {
        handle_base!($(#[$doc])* $name, $wire);

        impl $name {
            $(#[$adoc])*
            pub fn $a(&self) -> &str {
                self.wire.$a.as_str()
            }

            $(#[$bdoc])*
            pub fn $b(&self) -> &str {
                self.wire.$b.as_str()
            }
        }

        impl fmt::Debug for $name {
            fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                f.debug_struct(stringify!($name))
                    .field(stringify!($a), &self.$a())
                    .field(stringify!($b), &self.$b())
                    .finish()
            }
        }
    };
}

/// Declares a handle for an object that belongs to another one (a snapshot of a domain, a
/// port of a network).
macro_rules! child_object {
    ($(#[$doc:meta])* $name:ident, $wire:ident, $parent:ident, $field:ident, $(#[$pdoc:meta])* $getter:ident) => {
        handle_base!($(#[$doc])* $name, $wire);

        impl $name {
            $(#[$pdoc])*
            pub fn $getter(&self) -> $parent {
                $parent::new(self.client.clone(), self.wire.$field.clone())
            }
        }
    };
}

named_object!(
    /// A network filter. Cheap to clone; keeps its connection open.
    NwFilter,
    NonnullNwfilter
);

pair_object!(
    /// A host interface managed by the interface driver. Cheap to clone.
    Interface,
    NonnullInterface,
    /// The interface's name (`eth0`).
    name,
    /// Its MAC address.
    mac
);

pair_object!(
    /// A network filter bound to a port. Cheap to clone.
    NwFilterBinding,
    NonnullNwfilterBinding,
    /// The port device the filter is bound to.
    portdev,
    /// The filter's name.
    filtername
);

child_object!(
    /// A snapshot of a domain. Cheap to clone; keeps its connection open.
    DomainSnapshot,
    NonnullDomainSnapshot,
    Domain,
    dom,
    /// The domain it is a snapshot of.
    domain
);

child_object!(
    /// A checkpoint of a domain. Cheap to clone; keeps its connection open.
    DomainCheckpoint,
    NonnullDomainCheckpoint,
    Domain,
    dom,
    /// The domain it is a checkpoint of.
    domain
);

child_object!(
    /// A port of a virtual network. Cheap to clone; keeps its connection open.
    NetworkPort,
    NonnullNetworkPort,
    Network,
    net,
    /// The network the port belongs to.
    network
);

impl DomainSnapshot {
    /// The snapshot's name.
    pub fn name(&self) -> &str {
        self.wire.name.as_str()
    }
}

impl DomainCheckpoint {
    /// The checkpoint's name.
    pub fn name(&self) -> &str {
        self.wire.name.as_str()
    }
}

impl NetworkPort {
    /// The port's UUID.
    pub fn uuid(&self) -> [u8; 16] {
        self.wire.uuid.0
    }
}

macro_rules! debug_named {
    ($($name:ident),*) => {$(
        impl fmt::Debug for $name {
            fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                f.debug_struct(stringify!($name)).field("name", &self.name()).finish()
            }
        }
    )*};
}

debug_named!(DomainSnapshot, DomainCheckpoint);

impl fmt::Debug for NetworkPort {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("NetworkPort")
            .field("uuid", &format_uuid(&self.uuid()))
            .finish()
    }
}
