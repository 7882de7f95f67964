//! What the router serves, as data: every resource router registers its routes through
//! [`Routes`], which keeps the method and path of each beside the axum router it builds, so
//! that the routes served can be held against the route table of `b2a_contract::ROUTES` (axum's
//! `Router` cannot list its routes). A path is written once, in the `.route(...)` call.

use std::convert::Infallible;

use axum::Router;
use axum::extract::Request;
use axum::handler::Handler;
use axum::http::Method;
use axum::response::IntoResponse;
use axum::routing::{MethodFilter, MethodRouter, Route};
use tower::{Layer, Service};

use crate::AppState;

/// One route the gateway serves.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Served {
    /// Its method; `None` for a service mounted whole at `path` (`/mcp`, which speaks MCP).
    pub method: Option<Method>,
    /// Its path template, written as axum and `ROUTES` write it (`/v1/orders/{id}`).
    pub path: &'static str,
}

/// The handlers of one path by method — what axum's `get(a).post(b)` builds — and the methods.
#[derive(Debug)]
pub(crate) struct On {
    router: MethodRouter<AppState>,
    methods: Vec<Method>,
}

macro_rules! methods {
    ($($name:ident => $method:ident;)*) => {
        impl On {
            $(
                #[doc = concat!("Serves `", stringify!($method), "` with `handler` too.")]
                pub(crate) fn $name<H: Handler<T, AppState>, T: 'static>(mut self, handler: H) -> Self {
                    self.router = self.router.on(MethodFilter::$method, handler);
                    self.methods.push(Method::$method);
                    self
                }
            )*
        }
    };
}

methods! {
    get => GET;
    post => POST;
    put => PUT;
    delete => DELETE;
}

macro_rules! first_methods {
    ($($name:ident),*) => {$(
        #[doc = concat!("A path served with `handler` for `", stringify!($name), "` (as axum's).")]
        pub(crate) fn $name<H: Handler<T, AppState>, T: 'static>(handler: H) -> On {
            On { router: MethodRouter::new(), methods: Vec::new() }.$name(handler)
        }
    )*};
}

// The methods a path's first handler is registered for (`delete` comes after a `get` only).
first_methods!(get, post, put);

impl On {
    /// Wraps the methods registered so far in `layer` (as `MethodRouter::layer`).
    pub(crate) fn layer<L>(self, layer: L) -> Self
    where
        L: Layer<Route> + Clone + Send + Sync + 'static,
        L::Service: Service<Request> + Clone + Send + Sync + 'static,
        <L::Service as Service<Request>>::Response: IntoResponse + 'static,
        <L::Service as Service<Request>>::Error: Into<Infallible> + 'static,
        <L::Service as Service<Request>>::Future: Send + 'static,
    {
        Self {
            router: self.router.layer(layer),
            methods: self.methods,
        }
    }
}

/// An axum router and every route it serves.
#[derive(Debug, Default)]
pub(crate) struct Routes {
    router: Router<AppState>,
    served: Vec<Served>,
}

impl Routes {
    pub(crate) fn new() -> Self {
        Self::default()
    }

    /// Serves `path` with the handlers of `on`.
    pub(crate) fn route(mut self, path: &'static str, on: On) -> Self {
        self.served.extend(on.methods.into_iter().map(|m| Served {
            method: Some(m),
            path,
        }));
        self.router = self.router.route(path, on.router);
        self
    }

    /// Mounts `service` at `path`, whatever the method.
    pub(crate) fn nest_service<T>(mut self, path: &'static str, service: T) -> Self
    where
        T: Service<Request, Error = Infallible> + Clone + Send + Sync + 'static,
        T::Response: IntoResponse,
        T::Future: Send + 'static,
    {
        self.served.push(Served { method: None, path });
        self.router = self.router.nest_service(path, service);
        self
    }

    /// Wraps the routes registered so far in `layer` (as `Router::layer`).
    pub(crate) fn layer<L>(self, layer: L) -> Self
    where
        L: Layer<Route> + Clone + Send + Sync + 'static,
        L::Service: Service<Request> + Clone + Send + Sync + 'static,
        <L::Service as Service<Request>>::Response: IntoResponse + 'static,
        <L::Service as Service<Request>>::Error: Into<Infallible> + 'static,
        <L::Service as Service<Request>>::Future: Send + 'static,
    {
        Self {
            router: self.router.layer(layer),
            served: self.served,
        }
    }

    /// Adds the routes of `other`.
    pub(crate) fn merge(mut self, other: Routes) -> Self {
        self.router = self.router.merge(other.router);
        self.served.extend(other.served);
        self
    }

    /// The router, given its state, and what it serves.
    pub(crate) fn with_state(self, state: AppState) -> (Router, Vec<Served>) {
        (self.router.with_state(state), self.served)
    }
}
