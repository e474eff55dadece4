//! A component of another world: it exports a `greet` function, not the
//! custom-database actions, and imports a capability authbox does not offer.

wit_bindgen::generate!({
    inline: "
        package fixture:other;
        interface clock { now: func() -> u64; }
        world other {
            import clock;
            export greet: func(name: string) -> string;
        }
    ",
});

struct Other;

impl Guest for Other {
    fn greet(name: String) -> String {
        format!("hello {name} at {}", fixture::other::clock::now())
    }
}

export!(Other);
